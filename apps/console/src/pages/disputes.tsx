import { apiGet, apiPath } from '../api.ts';
import { href } from '../router.ts';
import type { Dispute, Page } from '../types.ts';
import { Money, PagedList, PageTitle, Status, StatusFilter, Time, usePages } from '../ui.tsx';

/** Disputes per page (the route allows up to 200). */
export const DISPUTES_PAGE_SIZE = 50;

const STATUSES = ['open', 'won', 'lost'];

export function DisputesPage({ status }: { status: string | undefined }) {
  const pages = usePages(
    (after) => apiGet<Page<Dispute>>(apiPath('/v1/disputes', { status, cursor: after, limit: DISPUTES_PAGE_SIZE })),
    [status],
  );
  return (
    <section>
      <PageTitle>Disputes</PageTitle>
      <StatusFilter label="Dispute status" parts={['disputes']} statuses={STATUSES} current={status} />
      <PagedList pages={pages} empty="No disputes.">
        {(disputes) => (
          <table class="data" id="disputes">
            <thead>
              <tr>
                <th>Dispute</th>
                <th>Restaurant</th>
                <th>Status</th>
                <th class="num">Amount</th>
                <th class="num">Fee</th>
                <th>Charge</th>
                <th>Opened</th>
                <th>Closed</th>
              </tr>
            </thead>
            <tbody>
              {disputes.map((dispute) => (
                <tr key={dispute.dispute_id} data-dispute-id={dispute.dispute_id}>
                  <td class="mono">{dispute.dispute_id}</td>
                  <td>
                    <a href={href(['restaurants', dispute.restaurant_id], { currency: dispute.currency })}>{dispute.restaurant_id}</a>
                  </td>
                  <td>
                    <Status value={dispute.status} />
                  </td>
                  <td class="num" data-field="amount">
                    <Money amount={dispute.amount} currency={dispute.currency} />
                  </td>
                  <td class="num" data-field="fee">
                    <Money amount={dispute.fee} currency={dispute.currency} />
                  </td>
                  <td class="mono">
                    {dispute.charge.event_id ?? '—'}
                    {!dispute.charge_found && <span class="warning"> (not in the ledger)</span>}
                  </td>
                  <td>
                    <Time iso={dispute.opened_at} />
                  </td>
                  <td>
                    <Time iso={dispute.closed_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PagedList>
    </section>
  );
}
