// The UI's state: one store per subject, each fed by commands and patched by the workspace's
// events. Components read stores; only stores call the API.
import { platform, type Heard } from '../platform';
import { board } from './board.svelte';
import { customer } from './customer.svelte';
import { inbox } from './inbox.svelte';
import { session } from './session.svelte';
import { team } from './team.svelte';
import { openThread } from './thread.svelte';

export { board, customer, inbox, openThread, session, team };
export { compose } from './compose';
export { search } from './search.svelte';
export { settings } from './settings';

/** Routes the workspace's events to the stores, until the returned function is called. */
export function listen(also: (event: Heard) => void): () => void {
  return platform().listen((event) => {
    session.heard(event);
    inbox.heard(event);
    openThread.heard(event);
    customer.heard(event);
    board.heard(event);
    also(event);
  });
}
