// media tools (fixture)
export const tools = ["search_library", "queue_download"];
