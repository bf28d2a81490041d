import { apiGet, apiPath, segment } from '../api.ts';
import { formatCount } from '../format.ts';
import { href } from '../router.ts';
import type { Page, Payout, PayoutRun } from '../types.ts';
import { MoreButton, Money, PagedList, PageTitle, Show, Status, Time, useLoad, usePages } from '../ui.tsx';

/** Rows per page of runs and payouts (the routes allow up to 200). */
export const PAYOUTS_PAGE_SIZE = 50;

export function PayoutRunsPage() {
  const pages = usePages(
    (after) => apiGet<Page<PayoutRun>>(apiPath('/v1/payouts/runs', { cursor: after, limit: PAYOUTS_PAGE_SIZE })),
    [],
  );
  return (
    <section>
      <PageTitle>Payout runs</PageTitle>
      <PagedList pages={pages} empty="No payout run yet.">
        {(runs) => (
          <table class="data" id="runs">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Trigger</th>
                <th>Currency</th>
                <th>As of</th>
                <th class="num">Created</th>
                <th class="num">Skipped</th>
                <th>Requested</th>
                <th>Finished</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => (
                <tr key={run.run_id} data-run-id={run.run_id}>
                  <td>
                    <a href={href(['payouts', 'runs', run.run_id])}>{run.run_id}</a>
                  </td>
                  <td>
                    <Status value={run.status} />
                  </td>
                  <td>{run.trigger === 'schedule' ? `schedule (${run.restaurant_id ?? '?'})` : run.trigger}</td>
                  <td>{run.currency}</td>
                  <td>{run.as_of}</td>
                  <td class="num" data-field="created">
                    {formatCount(run.created)}
                  </td>
                  <td class="num" data-field="skipped">
                    {formatCount(skippedTotal(run))}
                  </td>
                  <td>
                    <Time iso={run.requested_at} />
                  </td>
                  <td>
                    <Time iso={run.finished_at} />
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

const skippedTotal = (run: PayoutRun): number => Object.values(run.skipped).reduce((sum, count) => sum + count, 0);

export function PayoutRunPage({ runId }: { runId: string }) {
  const run = useLoad(() => apiGet<PayoutRun>(`/v1/payouts/runs/${segment(runId)}`), [runId]);
  return (
    <section>
      <p class="crumbs">
        <a href={href(['payouts', 'runs'])}>Payout runs</a> /
      </p>
      <PageTitle>Payout run {runId}</PageTitle>
      <Show loaded={run}>
        {(data) => (
          <>
            <dl class="facts" id="run">
              <dt>Status</dt>
              <dd>
                <Status value={data.status} />
              </dd>
              <dt>Trigger</dt>
              <dd>{data.trigger}</dd>
              <dt>Currency</dt>
              <dd>{data.currency}</dd>
              <dt>As of</dt>
              <dd>{data.as_of}</dd>
              <dt>Cutoff</dt>
              <dd>
                <Time iso={data.cutoff} />
              </dd>
              <dt>Minimum</dt>
              <dd>
                <Money amount={data.min_amount} currency={data.currency} />
              </dd>
              <dt>Payouts created</dt>
              <dd data-field="created">{formatCount(data.created)}</dd>
              <dt>Attempts</dt>
              <dd>{data.attempts}</dd>
              {data.last_error !== null && (
                <>
                  <dt>Last error</dt>
                  <dd class="error-text">{data.last_error}</dd>
                </>
              )}
            </dl>
            <h2>Skipped restaurants</h2>
            <table class="data compact" id="skipped">
              <tbody>
                {Object.entries(data.skipped).map(([reason, count]) => (
                  <tr key={reason} data-reason={reason}>
                    <td class="mono">{reason}</td>
                    <td class="num">{formatCount(count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>Payouts</h2>
            <p class="muted">
              The payouts this run made (in {data.currency} for {data.as_of}
              {data.restaurant_id !== null ? ` to ${data.restaurant_id}` : ''}).
            </p>
            <PayoutsTable filter={{ run_id: data.run_id }} />
          </>
        )}
      </Show>
    </section>
  );
}

export function PayoutsPage() {
  return (
    <section>
      <PageTitle>Payouts</PageTitle>
      <PayoutsTable filter={{}} />
    </section>
  );
}

/** Payouts in id order with their items, all of them or one run's. */
function PayoutsTable({ filter }: { filter: { run_id?: string } }) {
  const { loaded, cursor, more } = usePages(
    (after) => apiGet<Page<Payout>>(apiPath('/v1/payouts', { ...filter, cursor: after, limit: PAYOUTS_PAGE_SIZE })),
    [filter.run_id],
  );
  return (
    <>
      <Show loaded={loaded}>
        {(payouts) => {
          return payouts.length === 0 ? (
            <p class="muted">No payouts{cursor !== null ? ' on the pages loaded so far' : ''}.</p>
          ) : (
            <table class="data" id="payouts">
              <thead>
                <tr>
                  <th>Payout</th>
                  <th>Restaurant</th>
                  <th>Status</th>
                  <th>As of</th>
                  <th class="num">Amount</th>
                  <th>Items</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {payouts.map((payout) => (
                  <tr key={payout.payout_id} data-payout-id={payout.payout_id}>
                    <td>
                      <a href={href(['payouts', payout.payout_id])}>{payout.payout_id}</a>
                    </td>
                    <td>{payout.restaurant_id}</td>
                    <td>
                      <Status value={payout.status} />
                    </td>
                    <td>{payout.as_of}</td>
                    <td class="num" data-field="amount">
                      <Money amount={payout.amount} currency={payout.currency} />
                    </td>
                    <td>
                      <PayoutItems payout={payout} />
                    </td>
                    <td>
                      <Time iso={payout.created_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          );
        }}
      </Show>
      {loaded.state === 'ready' && <MoreButton cursor={cursor} onMore={more} />}
    </>
  );
}

function PayoutItems({ payout }: { payout: Payout }) {
  return (
    <ul class="items">
      {payout.items.map((item) => (
        <li key={item.type} data-item={item.type}>
          <span class="mono">{item.type}</span> <Money amount={item.amount} currency={payout.currency} />
        </li>
      ))}
    </ul>
  );
}

export function PayoutPage({ payoutId }: { payoutId: string }) {
  const payout = useLoad(() => apiGet<Payout>(`/v1/payouts/${segment(payoutId)}`), [payoutId]);
  return (
    <section>
      <p class="crumbs">
        <a href={href(['payouts'])}>Payouts</a> /
      </p>
      <PageTitle>Payout {payoutId}</PageTitle>
      <Show loaded={payout}>
        {(data) => (
          <>
            <dl class="facts" id="payout">
              <dt>Restaurant</dt>
              <dd>
                <a href={href(['restaurants', data.restaurant_id], { currency: data.currency })}>{data.restaurant_id}</a>
              </dd>
              <dt>Status</dt>
              <dd>
                <Status value={data.status} />
              </dd>
              <dt>As of</dt>
              <dd>{data.as_of}</dd>
              <dt>Amount</dt>
              <dd data-field="amount">
                <Money amount={data.amount} currency={data.currency} />
              </dd>
              <dt>Deficit recovered</dt>
              <dd data-field="deficit_recovered">
                <Money amount={data.deficit_recovered} currency={data.currency} />
              </dd>
              <dt>Created</dt>
              <dd>
                <Time iso={data.created_at} />
              </dd>
              <dt>Paid</dt>
              <dd>
                <Time iso={data.paid_at} />
              </dd>
            </dl>
            <h2>Items</h2>
            <table class="data compact" id="payout-items">
              <tbody>
                {data.items.map((item) => (
                  <tr key={item.type} data-item={item.type}>
                    <td class="mono">{item.type}</td>
                    <td class="num">
                      <Money amount={item.amount} currency={data.currency} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Show>
    </section>
  );
}
