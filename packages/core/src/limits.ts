/** Every bound the ledger enforces, named with its unit. */

/** Largest amount accepted on the wire: JSON numbers above it cannot be represented exactly. */
export const AMOUNT_MINOR_MAX = Number.MAX_SAFE_INTEGER;
/** Serialized size limit of an event's `metadata` object. */
export const METADATA_BYTES_MAX = 16 * 1024;
/** Nesting limit of an event's `metadata`; deeper objects are refused before anything recurses. */
export const METADATA_DEPTH_MAX = 32;
export const EVENT_ID_LENGTH_MAX = 255;
export const RESTAURANT_NAME_LENGTH_MAX = 200;
export const MATURITY_DAYS_MAX = 365;
export const MATURITY_DAYS_DEFAULT = 7;
/**
 * How far in the future (by our clock) an event's occurred_at may be. Processor clocks drift a
 * little; an event from further ahead would stay invisible to balances until then, so we refuse it.
 */
export const OCCURRED_AT_FUTURE_SKEW_MS = 5 * 60 * 1000;
/** Earliest occurred_at accepted: older dates are typos (and two-digit years are misread by drivers). */
export const OCCURRED_AT_MIN = '2000-01-01T00:00:00Z';
/** Nesting limit of any request body, checked before anything walks it recursively. */
export const BODY_DEPTH_MAX = 64;
/** Events in one batch request: bounds the statement sizes (about 10 parameters per event) and the answer. */
export const EVENT_BATCH_MAX = 1000;
/** Length of a page cursor accepted back: the server issues cursors far shorter than this. */
export const CURSOR_CHARS_MAX = 1024;
/**
 * Rows of one settlement report (reconciliation file) after its header. The body limit
 * (LEDGER_RECONCILIATION_BODY_LIMIT_BYTES) bounds the bytes; this bounds the work and the answer.
 */
export const RECONCILIATION_ROWS_MAX = 100_000;
/** Length of a settlement report's `payout_id` and `reference` fields (an event_id is at most EVENT_ID_LENGTH_MAX). */
export const RECONCILIATION_FIELD_LENGTH_MAX = 255;
