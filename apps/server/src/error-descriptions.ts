import type { WireErrorCode } from './edge-errors.ts';

/**
 * When each error code is returned, as docs/api.md tells clients (`pnpm docs:generate` writes the
 * table from this record and ERROR_HTTP). A Record, so a new code without a description does not
 * typecheck. Markdown.
 */
export const ERROR_DESCRIPTIONS: Readonly<Record<WireErrorCode, string>> = {
  VALIDATION_ERROR:
    'A field is missing, has the wrong type or breaks a rule. `details.issues` lists `{field, message}`, one per field. Also: an unknown field or query parameter (`__proto__`, `constructor` and `prototype` included), a path parameter sent again in the query or body, a numeric query parameter not written in plain decimal digits (`limit=0x10`, `days=1e1`), a non-object body, an amount above 2^53-1, a number that JSON parsing would round (`12000.0000000000001`, `9007199254740993`, anywhere in the body), `occurred_at` more than 5 minutes in the future.',
  MALFORMED_JSON:
    'The body is not JSON or not valid UTF-8, or is a bare string or number, or does not decompress as its `content-encoding` (gzip, deflate, br) says (`details.reason: bad_content_encoding`).',
  UNSUPPORTED_MEDIA_TYPE: 'A POST or PATCH body that is not `application/json` (`text/csv` on `POST /v1/reconciliations`).',
  EVENT_INVALID_TYPE: '`event_type` is a string but not a type this ledger applies. `details.supported` lists the types.',
  EVENT_INVALID_FEE: "A charge's fee exceeds its amount, or a fee on an event that carries none (payout events, `dispute_won`, `dispute_lost`).",
  EVENT_ID_CONFLICT: 'The event_id is already recorded with different content. `details.differing_fields` names the fields.',
  RESTAURANT_NOT_FOUND: 'No restaurant has that id.',
  RESTAURANT_ALREADY_EXISTS: '`POST /v1/restaurants` for an id that exists.',
  PAYOUT_NOT_FOUND: 'No payout has that id (a malformed id too).',
  PAYOUT_RUN_NOT_FOUND: 'No payout run has that id (a malformed id too).',
  PAYOUT_STATUS_CONFLICT: 'Marking processing a payout that is already paid or failed.',
  AMOUNT_OUT_OF_RANGE:
    'A figure the answer needs (a balance, a running balance) exceeds 2^53-1 minor units, which a JSON number cannot carry exactly. See [Known limits](#known-limits).',
  CURSOR_INVALID:
    'A `cursor` the server did not issue for this route and these filters (every paged route: the statement, `GET /v1/payouts`, `GET /v1/payouts/runs`, `GET /v1/disputes`, `GET /v1/reports/balances`, `GET /v1/reports/deficits`, `GET /v1/subscriptions`, `GET /v1/subscriptions/{subscription_id}/deliveries`). `details.reason` is `malformed`, `unsupported_version`, `other_route` or `filters_changed` (with `details.changed`). Start again without a cursor.',
  DISPUTE_NOT_FOUND: 'No dispute has that `dispute_id` (`GET /v1/disputes/{dispute_id}`).',
  DISPUTE_NOT_OPEN: '`dispute_won` or `dispute_lost` for a `metadata.dispute_id` no `dispute_opened` opened. Nothing is written, not even the event. See [disputes](disputes.md).',
  DISPUTE_ALREADY_CLOSED: '`dispute_won` or `dispute_lost` (another event_id) for a dispute already won or lost; `details.status` says which. Nothing is written. A replay of the closing event itself is a 200 replay, not this.',
  DISPUTE_ALREADY_EXISTS: '`dispute_opened` (another event_id) for a `metadata.dispute_id` already opened. Nothing is written.',
  DISPUTE_MISMATCH: '`dispute_won` or `dispute_lost` whose restaurant_id, currency or amount differ from the dispute it closes (`details.differing_fields`). Nothing is written.',
  DISPUTE_EXCEEDS_CHARGE: "`dispute_opened` for more than is left of the charge: its amount less its refunds and its other open or lost disputes (`details.disputable`). Nothing is written.",
  RECONCILIATION_FILE_INVALID:
    'A settlement report (`POST /v1/reconciliations`) that breaks the [layout](reconciliation.md#the-file): a wrong header, a wrong number of fields, a bad amount, currency, date, type or reference, a quoting mistake, an empty file, bytes that are not UTF-8. `details.bad_lines` lists every bad line number (the header is line 1) and `details.lines` says what is wrong on each (`{line, problems: [{field, message}]}`). Nothing is imported.',
  RECONCILIATION_NOT_FOUND: 'No reconciliation has that id (a malformed id too).',
  SUBSCRIPTION_NOT_FOUND: 'No outbound-event subscription has that id (`/v1/subscriptions/{subscription_id}`).',
  SUBSCRIPTION_DISABLED: 'Rotating the secret of, or replaying a delivery to, a disabled subscription. See [outbound events](outbound-events.md).',
  SUBSCRIPTION_URL_NOT_ALLOWED:
    'A subscriber URL that is not http(s), carries credentials, names a host outside `LEDGER_OUTBOUND_ALLOWED_HOSTS` (empty: every host is refused), or a private or loopback address the list admits only by a pattern. `details.reason` says which ([allow-list](outbound-events.md#the-allow-list)).',
  DELIVERY_NOT_FOUND: 'The subscription has no delivery with that id.',
  ROUTE_NOT_FOUND: 'No such path, or no such method on it.',
  MALFORMED_REQUEST:
    "The request is not valid HTTP/1.1 (Node's parser refused it before any route saw it). `details.reason` is the parser's code.",
  HEADERS_TOO_LARGE: "The request headers are over Node's limit (16 KiB).",
  AUTH_REQUIRED: 'The API key is missing or wrong (with `WWW-Authenticate: Bearer`).',
  WEBHOOK_SIGNATURE_INVALID: 'A missing or bad signature, or a timestamp outside ±5 minutes. `details.reason` says which.',
  RATE_LIMITED:
    "Too many requests in the window for this API key, this IP address, or (webhooks) this processor's IP. `Retry-After` gives the seconds to wait; `details` carry `scope` (`api_key`, `ip`, `webhook_ip`), `limit`, `window_ms` and `retry_after_s`.",
  PAYLOAD_TOO_LARGE:
    'The body is over `LEDGER_BODY_LIMIT_BYTES`, or over `LEDGER_BATCH_BODY_LIMIT_BYTES` on the batch route and `/trpc`, or over `LEDGER_RECONCILIATION_BODY_LIMIT_BYTES` for a settlement report. `details.limit_bytes` says which.',
  SERVICE_UNAVAILABLE:
    'The database cannot be reached (`details.reason`: `database_unreachable`), or did not answer in time: no pool connection within `LEDGER_DB_CONNECT_TIMEOUT_MS`, a statement cancelled by `LEDGER_DB_STATEMENT_TIMEOUT_MS`, or no answer within `LEDGER_DB_QUERY_TIMEOUT_MS` (`database_timeout`). Nothing was written, or what was written is recorded once: safe to retry, after the `Retry-After` seconds.',
  INTERNAL_ERROR: 'A bug. The message is always `Internal error`; the details go to the log under the request id.',
};
