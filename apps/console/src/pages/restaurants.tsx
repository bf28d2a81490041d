import { apiGet, apiPath, segment } from '../api.ts';
import { deficitOf } from '../format.ts';
import { href } from '../router.ts';
import type { Balance, BalancesReport } from '../types.ts';
import { Money, PagedList, PageTitle, Time, usePages } from '../ui.tsx';
import { CurrencyPicker } from './currency-picker.tsx';

/**
 * Rows per page. Q1 (GET /v1/reports/balances) lists restaurants with their available balance; each
 * row's pending and reserved come from that restaurant's balance route, so a page costs 1 + this
 * many reads (well inside the per-key rate limit).
 */
export const RESTAURANTS_PAGE_SIZE = 20;

interface Row {
  restaurant_id: string;
  balance: Balance;
}

async function restaurantsPage(currency: string, cursor: string | undefined): Promise<{ items: Row[]; next_cursor: string | null }> {
  const report = await apiGet<BalancesReport>(apiPath('/v1/reports/balances', { currency, cursor, limit: RESTAURANTS_PAGE_SIZE }));
  const items = await Promise.all(
    report.items.map(async ({ restaurant_id }) => ({
      restaurant_id,
      // The same as_of for every row, so the page is one moment of the ledger.
      balance: await apiGet<Balance>(apiPath(`/v1/restaurants/${segment(restaurant_id)}/balance`, { currency, as_of: report.as_of })),
    })),
  );
  return { items, next_cursor: report.next_cursor };
}

export function RestaurantsPage({ currency }: { currency: string }) {
  const pages = usePages((after) => restaurantsPage(currency, after), [currency]);
  return (
    <section>
      <PageTitle>Restaurants</PageTitle>
      <CurrencyPicker currency={currency} target={['restaurants']} />
      <PagedList pages={pages} empty={`No restaurant has entries in ${currency}.`}>
        {(rows) => (
          <>
            <table class="data" id="restaurants">
              <thead>
                <tr>
                  <th>Restaurant</th>
                  <th class="num">Available</th>
                  <th class="num">Pending</th>
                  <th class="num">Reserved</th>
                  <th class="num">Deficit</th>
                  <th class="num">Total</th>
                  <th>Last event</th>
                </tr>
              </thead>
              <tbody>
                {rows.map(({ restaurant_id, balance }) => (
                  <tr key={restaurant_id} data-restaurant-id={restaurant_id}>
                    <td>
                      <a href={href(['restaurants', restaurant_id], { currency })}>{restaurant_id}</a>
                    </td>
                    <td class="num" data-field="available">
                      <Money amount={balance.available} currency={currency} />
                    </td>
                    <td class="num" data-field="pending">
                      <Money amount={balance.pending} currency={currency} />
                    </td>
                    <td class="num" data-field="reserved">
                      <Money amount={balance.reserved} currency={currency} />
                    </td>
                    <td class="num" data-field="deficit">
                      <Money amount={deficitOf(balance.available)} currency={currency} />
                    </td>
                    <td class="num" data-field="total">
                      <Money amount={balance.total} currency={currency} />
                    </td>
                    <td>
                      <Time iso={balance.last_event_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="muted">Balances as of {rows[0] === undefined ? '' : <Time iso={rows[0].balance.as_of} />}.</p>
          </>
        )}
      </PagedList>
    </section>
  );
}
