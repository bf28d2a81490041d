import { apiGet } from '../api.ts';
import type { IntegrityReport } from '../types.ts';
import { PageTitle, Show, useLoad } from '../ui.tsx';

/** Q4 (GET /v1/reports/integrity): each offending row with its reason; none on a healthy ledger. */
export function IntegrityPage() {
  const report = useLoad(() => apiGet<IntegrityReport>('/v1/reports/integrity'), []);
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
    </section>
  );
}
