-- ronny-ops hotkeys were retired (fixture)
local root = os.getenv("HOME") .. "/code/workbench"
