; Inno Setup 6 script: a per-user installer for the one-folder build in dist\cronium-desktop.
;   iscc packaging\windows\cronium-desktop.iss      (after PyInstaller, see packaging\README.md)
; Per-user (no administrator rights), like the app's own "Start at login" (HKCU Run key).
#define AppVersion "0.1.0"

[Setup]
AppId={{6B7E2C1A-3F4D-4C8E-9A51-0C7D2E5B8F13}
AppName=Cronium Desktop
AppVersion={#AppVersion}
AppPublisher=Cronium
DefaultDirName={localappdata}\Programs\Cronium Desktop
DefaultGroupName=Cronium Desktop
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=cronium-desktop-{#AppVersion}-setup
SetupIconFile=..\..\cronium_desktop\resources\icons\cronium-desktop.ico
UninstallDisplayIcon={app}\cronium-desktop.exe
Compression=lzma2
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
WizardStyle=modern

[Files]
Source: "..\..\dist\cronium-desktop\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\Cronium Desktop"; Filename: "{app}\cronium-desktop.exe"
Name: "{userdesktop}\Cronium Desktop"; Filename: "{app}\cronium-desktop.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked
Name: "startatlogin"; Description: "Start Cronium Desktop at login (in the tray)"; Flags: unchecked

[Registry]
; The same value Settings → Start at login writes, so either place can turn it off.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; \
  ValueName: "Cronium Desktop"; ValueData: """{app}\cronium-desktop.exe"" --tray"; \
  Flags: uninsdeletevalue; Tasks: startatlogin

[UninstallRun]
Filename: "{cmd}"; Parameters: "/C reg delete HKCU\Software\Microsoft\Windows\CurrentVersion\Run /v ""Cronium Desktop"" /f"; \
  Flags: runhidden; RunOnceId: "RemoveRunKey"

[Run]
Filename: "{app}\cronium-desktop.exe"; Description: "Open Cronium Desktop"; Flags: nowait postinstall skipifsilent
