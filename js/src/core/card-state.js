// The job card's state machine, without any DOM: what a card is doing (its phase), how kernel
// updates and the user's clicks move it, and what it therefore shows. card.js draws it.
//
// Phases:
//   running      the status is one of vocabulary.running (submitting, queued, processing)
//   cancelling   running, and a cancel was asked for (by this card, or the kernel's
//                `cancel_requested`): "cancelling…", no cancel button
//   unconfirmed  the service may have accepted the request but its answer was lost; the user
//                adopts one of the `candidates` or pays for a new generation
//   choosing     unconfirmed, and the user's choice is on its way to the kernel
//   finished     the status is one of vocabulary.terminal
//   other        a status the vocabulary does not place (or no vocabulary yet)
//
// Events: {type: "job", job} (the kernel's latest dict), {type: "cancel"},
// {type: "adopt", generationId}, {type: "resubmit"}.

/** The status the kernel gives a job whose enqueue answer was lost. */
export const UNCONFIRMED = "unconfirmed";

export const UNCONFIRMED_TEXT =
  "The service may have accepted this request, but its answer was lost. " +
  "Nothing was sent again, to avoid paying twice.";

/**
 * @typedef {"running" | "cancelling" | "unconfirmed" | "choosing" | "finished" | "other"} Phase
 * @typedef {{phase: Phase, status: string, job: object | null, cancelSent: boolean,
 *            choice: null | {type: "adopt", generationId: string} | {type: "resubmit"}}} CardState
 */

/** @returns {CardState} */
export function initialCardState() {
  return { phase: "other", status: "", job: null, cancelSent: false, choice: null };
}

/** @returns {Phase} */
function phaseOf({ status, job, cancelSent, choice }, vocabulary) {
  if (status === UNCONFIRMED) return choice ? "choosing" : "unconfirmed";
  if (vocabulary.running.has(status)) {
    return cancelSent || job?.cancel_requested === true ? "cancelling" : "running";
  }
  if (vocabulary.terminal.has(status)) return "finished";
  return "other";
}

function settle(state, vocabulary) {
  return { ...state, phase: phaseOf(state, vocabulary) };
}

/**
 * The next state after `event`. Clicks that make no sense in the current phase (a second
 * cancel, a choice on a card that is no longer unconfirmed) leave the state as it is.
 * @param {CardState} state
 * @param {import("./vocabulary.js").Vocabulary} vocabulary
 * @returns {CardState}
 */
export function nextCardState(state, event, vocabulary) {
  switch (event.type) {
    case "job": {
      const job = event.job || {};
      const status = String(job.status || "");
      return settle(
        {
          status,
          job,
          // A local cancel or choice lasts until the job leaves the phase it was made in.
          cancelSent: state.cancelSent && vocabulary.running.has(status),
          choice: status === UNCONFIRMED ? state.choice : null,
        },
        vocabulary,
      );
    }
    case "cancel":
      if (state.phase !== "running") return state;
      return settle({ ...state, cancelSent: true }, vocabulary);
    case "adopt":
      if (state.phase !== "unconfirmed" || !candidatesOf(state.job).includes(event.generationId)) {
        return state;
      }
      return settle(
        { ...state, choice: { type: "adopt", generationId: event.generationId } },
        vocabulary,
      );
    case "resubmit":
      if (state.phase !== "unconfirmed") return state;
      return settle({ ...state, choice: { type: "resubmit" } }, vocabulary);
    default:
      return state;
  }
}

/** The message a click sends to the kernel, or null when the click changes nothing. */
export function messageFor(before, after, event) {
  if (before === after || !after.job) return null;
  const jobId = String(after.job.id);
  if (event.type === "cancel") return { type: "cancel", job_id: jobId };
  if (event.type === "adopt") {
    return { type: "adopt", job_id: jobId, generation_id: event.generationId };
  }
  if (event.type === "resubmit") return { type: "resubmit", job_id: jobId };
  return null;
}

function candidatesOf(job) {
  return Array.isArray(job?.candidates) ? job.candidates.map(String) : [];
}

/**
 * What the card shows in this state.
 * @param {CardState} state
 */
export function describeCard(state) {
  const { phase, status, job } = state;
  const unconfirmed = phase === "unconfirmed" || phase === "choosing";
  const notice = typeof job?.notice === "string" && job.notice.trim() ? job.notice.trim() : null;
  return {
    phase,
    status,
    pill: phase === "cancelling" ? "cancelling…" : status || "unknown",
    /** Elapsed time and ETA keep counting. */
    counting: phase === "running" || phase === "cancelling",
    cancel: phase === "running",
    newTake: phase === "finished" || phase === "other",
    reuse: phase !== "running" && phase !== "cancelling",
    notice,
    error: job?.error ? String(job.error) : "",
    unconfirmed: unconfirmed
      ? {
          text: UNCONFIRMED_TEXT,
          candidates: candidatesOf(job),
          intentId: job?.intent_id ? String(job.intent_id) : null,
          busy: phase === "choosing",
          choice: state.choice,
        }
      : null,
  };
}
