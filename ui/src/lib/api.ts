// Calls of the command list, typed end to end by the generated map: a command's request and
// its answer are what the workspace declares. Only the stores (`stores/`) call it.
import type { CommandName, Commands } from './generated/Commands';
import { platform } from './platform';

export function call<K extends CommandName>(name: K, request: Commands[K]['request']): Promise<Commands[K]['response']> {
  return platform().call(name, request);
}
