import { apiGet } from '../api.ts';
import { formatCount } from '../format.ts';
import type { IntegrityReport, LedgerVerification } from '../types.ts';
import { PageTitle, Show, useLoad } from '../ui.tsx';

/**
 * Q4 (GET /v1/reports/integrity): each offending row with its reason; none on a healthy ledger.
 * Beside it, the hash chain recomputed whole (GET /v1/ledger/verify, docs/tamper-evidence.md).
 */
export function IntegrityPage() {
  const report = useLoad(() => apiGet<IntegrityReport>('/v1/reports/integrity'), []);
  const chain = useLoad(() => apiGet<LedgerVerification>('/v1/ledger/verify'), []);
  return (
    <section>
      <PageTitle>Integrity report</PageTitle>
      <Show loaded={report}>
        {(data) => (
          <>
            <p class={data.healthy ? 'verdict healthy' : 'verdict unhealthy'} id="verdict" data-healthy={String(data.healthy)}>
              {data.healthy ? 'Healthy: every check passes.' : `${data.items.length} problem(s) found.`}
            </p>
            {data.items.length > 0 && (
              <table class="data" id="integrity">
                <thead>
                  <tr>
                    <th>Reason</th>
                    <th>Event</th>
                    <th>Entry</th>
                    <th>Payout</th>
                    <th>Detail</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((item, index) => (
                    <tr key={index} data-reason={item.reason}>
                      <td class="mono">{item.reason}</td>
                      <td class="mono">{item.event_id ?? '—'}</td>
                      <td class="mono">{item.entry_id ?? '—'}</td>
                      <td class="mono">{item.payout_id ?? '—'}</td>
                      <td>{item.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <p class="muted">The reasons are listed in docs/reports.md (the integrity report).</p>
          </>
        )}
      </Show>
      <h2>Hash chain</h2>
      <Show loaded={chain}>{(data) => <ChainVerification data={data} />}</Show>
    </section>
  );
}

/** The verify route's answer: whether every sealed block holds, how far sealing has got, and the first broken link. */
function ChainVerification({ data }: { data: LedgerVerification }) {
  const broken = data.first_broken;
  return (
    <>
      <p class={data.ok ? 'verdict healthy' : 'verdict unhealthy'} id="chain-verdict" data-ok={String(data.ok)}>
        {data.ok ? 'The chain holds: every sealed block hashes to its seal.' : `Broken at block ${broken?.block ?? '?'}.`}
      </p>
      <dl class="facts" id="chain">
        <dt>Sealed through entry</dt>
        <dd class="mono" data-field="sealed_through_entry_id">{data.sealed_through_entry_id}</dd>
        <dt>Last block</dt>
        <dd data-field="last_block">{formatCount(data.last_block)}</dd>
        <dt>Last hash</dt>
        <dd class="mono" data-field="last_hash">{data.last_hash ?? '—'}</dd>
        <dt>Blocks checked</dt>
        <dd data-field="blocks_checked">{formatCount(data.blocks_checked)}</dd>
        <dt>Entries checked</dt>
        <dd data-field="entries_checked">{formatCount(data.entries_checked)}</dd>
        <dt>Unsealed entries</dt>
        <dd data-field="unsealed_entries">{formatCount(data.unsealed_entries)}</dd>
        <dt>Sealing lag</dt>
        <dd data-field="sealing_lag_seconds" data-seconds={String(data.sealing_lag_seconds)}>
          {formatSeconds(data.sealing_lag_seconds)}
        </dd>
        <dt>First broken link</dt>
        <dd data-field="first_broken">
          {broken === null
            ? 'none'
            : `block ${broken.block}: ${broken.reason} (sealed ${broken.entries_sealed} entries, found ${broken.entries_found ?? '—'}; expected ${broken.expected_hash}, got ${broken.actual_hash ?? '—'})`}
        </dd>
      </dl>
      <p class="muted">Recomputed from every entry by GET /v1/ledger/verify (docs/tamper-evidence.md).</p>
    </>
  );
}

/** Seconds as the API gives them, to one decimal: `0 s`, `12.5 s`. */
const formatSeconds = (seconds: number): string => `${Math.round(seconds * 10) / 10} s`;
