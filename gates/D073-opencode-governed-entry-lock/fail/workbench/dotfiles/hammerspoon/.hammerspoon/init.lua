-- fixture hotkeys
hs.hotkey.bind({"ctrl", "shift"}, "O", function() launchTerminal("opencode") end)
