// n8n tools (fixture)
export const tools = ["list_workflows", "run_workflow"];
