# hbtriage trigger: stop the DPC/ISR trace when a log gets the heartbeat-loss line.
#
# Written by `hbtriage plan --write-profiles DIR`; `hbtriage plan --windows` prints the command
# line with the pattern taken from hbtriage's signature catalog. Runs on PowerShell 2.0 and later
# (Windows Server 2003 SP2 with Windows Management Framework 2.0 up to current Windows).
#
# It polls the log folder instead of following one file, because the CVP Call Server starts a new
# CVP.<date>.log every day: lines already in a file when the watcher starts never fire, a file
# created later is read from its start, and only whole lines are matched.
# On the first match it waits -AfterSeconds (so the trace also holds the recovery), then runs the
# scheduled task -Task here and on every -Peers computer (schtasks /run /s), and exits.
param(
    [Parameter(Mandatory = $true)][string]$LogDir,
    [Parameter(Mandatory = $true)][string]$Pattern,
    [string]$Filter = 'CVP.*.log',
    [string]$Task = 'hbtriage_dpcisr_stop',
    [string[]]$Peers = @(),
    [int]$AfterSeconds = 5,
    [int]$PollSeconds = 1
)

$options = [System.Text.RegularExpressions.RegexOptions]::IgnoreCase
$regex = New-Object System.Text.RegularExpressions.Regex($Pattern, $options)
$offsets = @{}
foreach ($f in @(Get-ChildItem -Path $LogDir -Filter $Filter)) { $offsets[$f.FullName] = $f.Length }
"$(Get-Date -Format s) watching $LogDir\$Filter for: $Pattern"

$hit = $null
while ($hit -eq $null) {
    Start-Sleep -Seconds $PollSeconds
    foreach ($f in @(Get-ChildItem -Path $LogDir -Filter $Filter)) {
        $from = 0
        if ($offsets.ContainsKey($f.FullName)) { $from = $offsets[$f.FullName] }
        if ($f.Length -lt $from) { $from = 0 }  # the file was replaced
        if ($f.Length -eq $from) { continue }
        $share = [System.IO.FileShare]'ReadWrite, Delete'
        $stream = New-Object System.IO.FileStream($f.FullName, 'Open', 'Read', $share)
        try {
            [void]$stream.Seek($from, 'Begin')
            $reader = New-Object System.IO.StreamReader($stream, [System.Text.Encoding]::Default)
            $text = $reader.ReadToEnd()
        } finally {
            $stream.Close()
        }
        $end = $text.LastIndexOf("`n")
        if ($end -lt 0) { continue }  # no whole line yet
        $whole = $text.Substring(0, $end + 1)
        $offsets[$f.FullName] = $from + [System.Text.Encoding]::Default.GetByteCount($whole)
        foreach ($line in $whole.Split("`n")) {
            if ($regex.IsMatch($line)) { $hit = "$($f.Name): $($line.Trim())"; break }
        }
        if ($hit -ne $null) { break }
    }
}

"$(Get-Date -Format s) matched $hit"
Start-Sleep -Seconds $AfterSeconds
& schtasks.exe /run /tn $Task
foreach ($peer in $Peers) {
    if ($peer) { & schtasks.exe /run /s $peer /tn $Task }
}
"$(Get-Date -Format s) stop requested (task $Task on this computer and: $($Peers -join ', '))"
