import { render } from 'preact';
import { useState } from 'preact/hooks';
import { forgetKey, loadConfig, storedKey, storeKey } from './api.ts';
import { DisputesPage } from './pages/disputes.tsx';
import { IntegrityPage } from './pages/integrity.tsx';
import { LoginPage } from './pages/login.tsx';
import { PayoutPage, PayoutRunPage, PayoutRunsPage, PayoutsPage } from './pages/payouts.tsx';
import { RestaurantPage } from './pages/restaurant.tsx';
import { RestaurantsPage } from './pages/restaurants.tsx';
import { SubscriptionPage, SubscriptionsPage } from './pages/subscriptions.tsx';
import { href, type Route, useRoute } from './router.ts';
import { Show, useLoad } from './ui.tsx';
import './styles.css';

const DEFAULT_CURRENCY = 'PEN';

function App() {
  const config = useLoad(loadConfig, []);
  const [key, setKey] = useState(storedKey);
  return (
    <Show loaded={config}>
      {({ api_key_required }) => {
        if (api_key_required && key === null) {
          return (
            <LoginPage
              onLogin={(accepted) => {
                storeKey(accepted);
                setKey(accepted);
              }}
            />
          );
        }
        return (
          <Layout
            open={!api_key_required}
            onLogout={() => {
              forgetKey();
              setKey(null);
              location.hash = '';
            }}
          />
        );
      }}
    </Show>
  );
}

const SECTIONS: [string, string[]][] = [
  ['Restaurants', ['restaurants']],
  ['Payout runs', ['payouts', 'runs']],
  ['Payouts', ['payouts']],
  ['Disputes', ['disputes']],
  ['Subscriptions', ['subscriptions']],
  ['Integrity', ['integrity']],
];

function Layout({ open, onLogout }: { open: boolean; onLogout: () => void }) {
  const route = useRoute();
  const current = sectionOf(route);
  return (
    <>
      <header class="top">
        <span class="brand">restaurant-ledger console</span>
        <nav aria-label="Sections">
          {SECTIONS.map(([label, parts]) => (
            <a key={label} href={href(parts)} class={current === label ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <span class="read-only" title="The console sends GET requests only">read-only</span>
        {!open && (
          <button type="button" id="logout" onClick={onLogout}>
            Sign out
          </button>
        )}
      </header>
      {open && (
        <p class="banner" id="open-mode">
          This server has no API keys configured (LEDGER_API_KEYS is unset): the API and this console are open to anyone who
          reaches them. Fine for development; production refuses to start this way.
        </p>
      )}
      <main>
        <Page route={route} />
      </main>
    </>
  );
}

function sectionOf(route: Route): string {
  const [first, second] = route.parts;
  if (first === 'payouts') return second === 'runs' ? 'Payout runs' : 'Payouts';
  if (first === 'disputes') return 'Disputes';
  if (first === 'subscriptions') return 'Subscriptions';
  if (first === 'integrity') return 'Integrity';
  return 'Restaurants';
}

function Page({ route }: { route: Route }) {
  const [first, second, third] = route.parts;
  const currency = (route.query.get('currency') ?? DEFAULT_CURRENCY).toUpperCase();
  if (first === 'restaurants' && second !== undefined) return <RestaurantPage restaurantId={second} currency={currency} />;
  if (first === 'payouts' && second === 'runs') return third === undefined ? <PayoutRunsPage /> : <PayoutRunPage runId={third} />;
  if (first === 'payouts') return second === undefined ? <PayoutsPage /> : <PayoutPage payoutId={second} />;
  if (first === 'disputes') return <DisputesPage status={route.query.get('status') ?? undefined} />;
  if (first === 'subscriptions') {
    const status = route.query.get('status') ?? undefined;
    return second === undefined ? <SubscriptionsPage /> : <SubscriptionPage key={second} subscriptionId={second} status={status} />;
  }
  if (first === 'integrity') return <IntegrityPage />;
  return <RestaurantsPage key={currency} currency={currency} />;
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
