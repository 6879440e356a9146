// What to tell the agent about a failed call: the workspace's message, or the error as text.
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
