-- fixture hotkeys
hs.hotkey.bind({"ctrl", "shift"}, "O", function() launchSolo("opencode") end)
