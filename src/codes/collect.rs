//! Which logs to collect, on which machine, as copy-paste PowerShell / wevtutil snippets.
//!
//! The snippets are the domain reference's §6, verbatim: exports keep the full XML and
//! `wevtutil al` archives the provider message text next to each file, so evident (which parses
//! offline) can render messages from another machine. Microsoft background: "wevtutil" (Windows
//! command reference, Microsoft Learn) and KB 260729 for Schannel `EventLogging`.

use serde::Serialize;

/// A machine whose logs hold evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Machine {
    /// The RD Session Host / target PC.
    Server,
    /// The connecting client (the machine that showed the error).
    Client,
    /// The RD Gateway, when the connection went through one.
    Gateway,
    /// The domain controller that authenticated the user (NTLM failures are audited there).
    DomainController,
}

impl Machine {
    /// Where to run the snippet, as printed above it.
    pub fn title(self) -> &'static str {
        match self {
            Machine::Server => "On the server (RD Session Host / target PC)",
            Machine::Client => "On the client (the machine that showed the error)",
            Machine::Gateway => "On the RD Gateway (if the connection used one)",
            Machine::DomainController => "On the domain controller that authenticated the user",
        }
    }

    /// The snippet for this machine, to paste after [`COMMON`].
    pub fn snippet(self) -> &'static str {
        match self {
            Machine::Server => SERVER,
            Machine::Client => CLIENT,
            Machine::Gateway => GATEWAY,
            Machine::DomainController => DOMAIN_CONTROLLER,
        }
    }
}

/// §6.4 (note): on a domain, the DC's `Security` log holds 4625/4776 detail.
pub const DOMAIN_CONTROLLER: &str = r##"'Security' | ForEach-Object { Export-EvidentLog $_ }
Compress-Archive -Path "$out\*" -DestinationPath "$out.zip" -Force
"##;

/// §6.1: paste first on every machine (elevated PowerShell). Defines `$out` and `Export-EvidentLog`.
pub const COMMON: &str = r##"$days = 7
$out  = "C:\evident-logs\$env:COMPUTERNAME-$(Get-Date -Format yyyyMMdd-HHmmss)"
New-Item -ItemType Directory -Force -Path $out | Out-Null
$ms   = [int64]$days * 86400000
$q    = "*[System[TimeCreated[timediff(@SystemTime) <= $ms]]]"
function Export-EvidentLog([string]$log) {
    $exists = Get-WinEvent -ListLog $log -ErrorAction SilentlyContinue
    if (-not $exists) { Write-Warning "missing: $log"; return }
    $file = Join-Path $out (($log -replace '[\\/ ]', '_') + '.evtx')
    wevtutil epl "$log" "$file" "/q:$q" /ow:true
    wevtutil al "$file" /l:en-US        # archive message metadata next to the file
}
"##;

/// §6.2: the RD Session Host / target PC — where the cause of 0x904/0x7 is recorded.
pub const SERVER: &str = r##"$serverLogs = @(
  'System', 'Security', 'Application',
  'Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational',
  'Microsoft-Windows-TerminalServices-RemoteConnectionManager/Admin',
  'Microsoft-Windows-TerminalServices-LocalSessionManager/Operational',
  'Microsoft-Windows-TerminalServices-LocalSessionManager/Admin',
  'Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational',
  'Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Admin',
  'Microsoft-Windows-TerminalServices-SessionBroker-Client/Operational',
  'Microsoft-Windows-TerminalServices-SessionBroker/Operational',
  'Microsoft-Windows-Windows Firewall With Advanced Security/Firewall',
  'Microsoft-Windows-CAPI2/Operational'
)
$serverLogs | ForEach-Object { Export-EvidentLog $_ }
# configuration snapshot (text, small) — helps rules that need settings
reg export "HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server" "$out\TerminalServer.reg" /y
reg export "HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL" "$out\Schannel.reg" /y
reg export "HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services" "$out\TS-Policies.reg" /y 2>$null
Get-ChildItem 'Cert:\LocalMachine\Remote Desktop' | Select-Object Thumbprint,Subject,NotBefore,NotAfter |
    Export-Csv "$out\rdp-cert.csv" -NoTypeInformation
Compress-Archive -Path "$out\*" -DestinationPath "$out.zip" -Force
"##;

/// §6.3: the client (the machine that showed the error).
pub const CLIENT: &str = r##"$clientLogs = @(
  'System',
  'Microsoft-Windows-TerminalServices-RDPClient/Operational',
  'Microsoft-Windows-CAPI2/Operational'
)
$clientLogs | ForEach-Object { Export-EvidentLog $_ }
Compress-Archive -Path "$out\*" -DestinationPath "$out.zip" -Force
"##;

/// §6.4: the RD Gateway, if the connection used one.
pub const GATEWAY: &str = r##"$gwLogs = @(
  'System', 'Security',
  'Microsoft-Windows-TerminalServices-Gateway/Operational',
  'Microsoft-Windows-TerminalServices-Gateway/Admin',
  'Microsoft-Windows-CAPI2/Operational'
)
$gwLogs | ForEach-Object { Export-EvidentLog $_ }
Compress-Archive -Path "$out\*" -DestinationPath "$out.zip" -Force
"##;

/// §6.5: turn on logging that is off by default, *before* reproducing (then reproduce, then export).
pub const EXTRA_LOGGING: &str = r##"# CAPI2 certificate-chain logging (off by default); 20 MB buffer
wevtutil sl Microsoft-Windows-CAPI2/Operational /e:true /ms:20971520
# Schannel: add warnings + informational/success (36880 handshake details); 7 = all [M, KB 260729]
reg add "HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL" /v EventLogging /t REG_DWORD /d 7 /f
# save the current audit policy so the revert restores it exactly
New-Item -ItemType Directory -Force -Path C:\evident-logs | Out-Null
auditpol /backup /file:C:\evident-logs\auditpol-before.csv
# WFP drop auditing: 5152 / 5157 (very noisy; server side, temporary)
auditpol /set /subcategory:"Filtering Platform Packet Drop" /failure:enable
auditpol /set /subcategory:"Filtering Platform Connection" /failure:enable
# optional: 5156 (permitted connections) needs success auditing — extremely noisy
# auditpol /set /subcategory:"Filtering Platform Connection" /success:enable
# Key-access auditing for 5061 (temporary; CNG KSP keys only — may stay silent for the RDP key, §4 cause 3)
auditpol /set /subcategory:"System Integrity" /success:enable /failure:enable
"##;

/// §6.5: revert what [`EXTRA_LOGGING`] turned on.
pub const REVERT_EXTRA_LOGGING: &str = r##"wevtutil sl Microsoft-Windows-CAPI2/Operational /e:false
reg add "HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL" /v EventLogging /t REG_DWORD /d 1 /f
# restores Filtering Platform and System Integrity auditing to their state before §6.5
auditpol /restore /file:C:\evident-logs\auditpol-before.csv
# without the backup: turn off what §6.5 turned on (check first — System Integrity may already have been on)
# auditpol /set /subcategory:"Filtering Platform Packet Drop" /failure:disable
# auditpol /set /subcategory:"Filtering Platform Connection" /success:disable /failure:disable
# auditpol /set /subcategory:"System Integrity" /success:disable /failure:disable
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_machine_snippet_uses_the_common_helper() {
        assert!(COMMON.contains("function Export-EvidentLog"));
        for m in [
            Machine::Server,
            Machine::Client,
            Machine::Gateway,
            Machine::DomainController,
        ] {
            assert!(m.snippet().contains("Export-EvidentLog"), "{m:?}");
            assert!(m.snippet().contains("Compress-Archive"), "{m:?}");
        }
        assert!(SERVER.contains("'Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational'"));
        assert!(CLIENT.contains("'Microsoft-Windows-TerminalServices-RDPClient/Operational'"));
        assert!(GATEWAY.contains("'Microsoft-Windows-TerminalServices-Gateway/Operational'"));
        assert!(REVERT_EXTRA_LOGGING.contains("auditpol /restore"));
    }
}
