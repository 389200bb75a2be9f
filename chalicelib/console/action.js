// Every write the console makes goes through here: a save, a revert, a sync started by hand, the
// sign-in. One way to mark the form busy, show the API's error (its fields next to them, by the
// form), keep what was typed when it fails, and say what happened when it worked. The message and the
// error box take the keyboard's focus when they appear (Notice, ApiErrorBox).
import { useState } from './lib.js';

const IDLE = { busy: null, error: null, notice: null };

// `const action = useAction()`; `action.run(work, options)` runs `work()` (a promise) once:
// - `busy`: what `action.busy` says while it runs (default true: a button names what it waits for);
// - `done(result)`: called with what `work` gave, in the same render as the notice, so that a form
//   reset from the answer is never shown a moment after "Saved" with the old value;
// - `notice`: {text, kind} or `(result) => notice`, shown after `done`;
// - `failed(error)`: what to show instead of the error (null: nothing), e.g. a 502 that still
//   carries the runs it made.
// It never throws: it resolves to the result, or to undefined when `work` failed.
export function useAction() {
  const [state, setState] = useState(IDLE);
  const run = async (work, { busy = true, done, notice, failed } = {}) => {
    setState({ ...IDLE, busy });
    let result;
    try {
      result = await work();
    } catch (error) {
      setState({ ...IDLE, error: failed ? failed(error) : error });
      return undefined;
    }
    if (done) done(result);
    setState({ ...IDLE, notice: (typeof notice === 'function' ? notice(result) : notice) || null });
    return result;
  };
  // A message or an error found before asking the API ("nothing changed", an empty token).
  const say = (notice) => setState({ ...IDLE, notice });
  const refuse = (error) => setState({ ...IDLE, error });
  return { ...state, run, say, refuse };
}
