import { apiGet, apiPath, segment } from '../api.ts';
import { BalanceChart } from '../balance-chart.tsx';
import { deficitOf } from '../format.ts';
import { href } from '../router.ts';
import type { Balance, Restaurant, Statement, StatementLine } from '../types.ts';
import { MoreButton, Money, PageTitle, Show, Time, useLoad, usePages } from '../ui.tsx';
import { CurrencyPicker } from './currency-picker.tsx';

/** Statement lines per page (the route allows up to 1,000). */
export const STATEMENT_PAGE_SIZE = 100;

export function RestaurantPage({ restaurantId, currency }: { restaurantId: string; currency: string }) {
  const base = `/v1/restaurants/${segment(restaurantId)}`;
  const restaurant = useLoad(
    async () => {
      const [profile, balance] = await Promise.all([apiGet<Restaurant>(base), apiGet<Balance>(apiPath(`${base}/balance`, { currency }))]);
      return { profile, balance };
    },
    [restaurantId, currency],
  );
  const statement = usePages(
    (cursor) => apiGet<Statement>(apiPath(`${base}/statement`, { currency, cursor, limit: STATEMENT_PAGE_SIZE })),
    [restaurantId, currency],
  );
  return (
    <section>
      <p class="crumbs">
        <a href={href(['restaurants'], { currency })}>Restaurants</a> /
      </p>
      <PageTitle>{restaurantId}</PageTitle>
      <CurrencyPicker key={currency} currency={currency} target={['restaurants', restaurantId]} />
      <Show loaded={restaurant}>{({ profile, balance }) => <BalanceCards profile={profile} balance={balance} />}</Show>
      <h2>Balance over time</h2>
      <Show loaded={statement.loaded}>
        {(lines) =>
          lines.length === 0 ? (
            <p class="muted">No entries in {currency}.</p>
          ) : (
            <>
              <BalanceChart points={lines} currency={currency} />
              <p class="muted">
                The {lines.length} entries loaded below{statement.cursor === null ? ' (all of them)' : '; load more to extend the chart'}.
              </p>
              <h2>Statement</h2>
              <StatementTable lines={lines} currency={currency} />
            </>
          )
        }
      </Show>
      {statement.loaded.state === 'ready' && statement.loaded.data.length > 0 && (
        <MoreButton cursor={statement.cursor} onMore={statement.more} label="Load more entries" />
      )}
    </section>
  );
}

function BalanceCards({ profile, balance }: { profile: Restaurant; balance: Balance }) {
  const cards: [string, Parameters<typeof Money>[0]['amount']][] = [
    ['available', balance.available],
    ['pending', balance.pending],
    ['reserved', balance.reserved],
    ['deficit', deficitOf(balance.available)],
    ['total', balance.total],
  ];
  return (
    <>
      <p class="muted">
        {profile.name ?? 'No name'} · maturity {profile.maturity_days} days · reserve {profile.reserve_percent / 100}% · as of{' '}
        <Time iso={balance.as_of} />
      </p>
      <dl class="cards" id="balance">
        {cards.map(([name, amount]) => (
          <div class="card" key={name} data-field={name}>
            <dt>{name}</dt>
            <dd>
              <Money amount={amount} currency={balance.currency} />
            </dd>
          </div>
        ))}
      </dl>
    </>
  );
}

function StatementTable({ lines, currency }: { lines: StatementLine[]; currency: string }) {
  return (
    <table class="data" id="statement">
      <thead>
        <tr>
          <th>Occurred</th>
          <th>Entry</th>
          <th>Type</th>
          <th class="num">Amount</th>
          <th class="num">Running balance</th>
          <th>Available at</th>
          <th>Event / payout</th>
        </tr>
      </thead>
      <tbody>
        {lines.map((line) => (
          <tr key={line.entry_id} data-entry-id={line.entry_id}>
            <td>
              <Time iso={line.occurred_at} />
            </td>
            <td class="mono">{line.entry_id}</td>
            <td>{line.entry_type}</td>
            <td class="num" data-field="amount">
              <Money amount={line.amount} currency={currency} />
            </td>
            <td class="num" data-field="running_balance">
              <Money amount={line.running_balance} currency={currency} />
            </td>
            <td>
              <Time iso={line.available_at} />
            </td>
            <td class="mono">
              {line.payout_id !== null ? <a href={href(['payouts', line.payout_id])}>{line.payout_id}</a> : (line.event_id ?? '—')}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
