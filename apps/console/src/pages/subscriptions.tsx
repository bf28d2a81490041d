import { apiGet, apiPath, segment } from '../api.ts';
import { formatCount } from '../format.ts';
import { href } from '../router.ts';
import type { Delivery, Page, Subscription } from '../types.ts';
import { PagedList, PageTitle, Show, Status, StatusFilter, Time, useLoad, usePages } from '../ui.tsx';

/** Rows per page of subscriptions and deliveries (the routes allow up to 200). */
export const SUBSCRIPTIONS_PAGE_SIZE = 50;

const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'cancelled'];

const eventTypes = (subscription: Subscription): string =>
  subscription.event_types.length === 0 ? 'every type' : subscription.event_types.join(', ');

/** The outbound-event subscriptions (GET /v1/subscriptions); the API never shows a secret after creation. */
export function SubscriptionsPage() {
  const pages = usePages(
    (after) => apiGet<Page<Subscription>>(apiPath('/v1/subscriptions', { cursor: after, limit: SUBSCRIPTIONS_PAGE_SIZE })),
    [],
  );
  return (
    <section>
      <PageTitle>Subscriptions</PageTitle>
      <PagedList pages={pages} empty="No subscription yet.">
        {(subscriptions) => (
          <table class="data" id="subscriptions">
            <thead>
              <tr>
                <th>Subscription</th>
                <th>URL</th>
                <th>Status</th>
                <th>Event types</th>
                <th>Description</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {subscriptions.map((subscription) => (
                <tr key={subscription.subscription_id} data-subscription-id={subscription.subscription_id}>
                  <td>
                    <a href={href(['subscriptions', subscription.subscription_id])}>{subscription.subscription_id}</a>
                  </td>
                  <td class="mono" data-field="url">
                    {subscription.url}
                  </td>
                  <td>
                    <Status value={subscription.status} />
                  </td>
                  <td data-field="event_types">{eventTypes(subscription)}</td>
                  <td>{subscription.description ?? '—'}</td>
                  <td>
                    <Time iso={subscription.created_at} />
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

/** One subscription and its delivery log (GET /v1/subscriptions/{id}/deliveries), each delivery with its attempts. */
export function SubscriptionPage({ subscriptionId, status }: { subscriptionId: string; status: string | undefined }) {
  const subscription = useLoad(() => apiGet<Subscription>(`/v1/subscriptions/${segment(subscriptionId)}`), [subscriptionId]);
  const deliveries = usePages(
    (after) =>
      apiGet<Page<Delivery>>(
        apiPath(`/v1/subscriptions/${segment(subscriptionId)}/deliveries`, { status, cursor: after, limit: SUBSCRIPTIONS_PAGE_SIZE }),
      ),
    [subscriptionId, status],
  );
  return (
    <section>
      <p class="crumbs">
        <a href={href(['subscriptions'])}>Subscriptions</a> /
      </p>
      <PageTitle>Subscription {subscriptionId}</PageTitle>
      <Show loaded={subscription}>
        {(data) => (
          <dl class="facts" id="subscription">
            <dt>URL</dt>
            <dd class="mono">{data.url}</dd>
            <dt>Status</dt>
            <dd>
              <Status value={data.status} />
            </dd>
            <dt>Event types</dt>
            <dd>{eventTypes(data)}</dd>
            <dt>Description</dt>
            <dd>{data.description ?? '—'}</dd>
            <dt>Created</dt>
            <dd>
              <Time iso={data.created_at} />
            </dd>
          </dl>
        )}
      </Show>
      <h2>Deliveries</h2>
      <StatusFilter label="Delivery status" parts={['subscriptions', subscriptionId]} statuses={DELIVERY_STATUSES} current={status} />
      <PagedList pages={deliveries} empty="No deliveries.">
        {(items) => (
          <table class="data" id="deliveries">
            <thead>
              <tr>
                <th>Delivery</th>
                <th>Event</th>
                <th>webhook-id</th>
                <th>Status</th>
                <th class="num">Attempts</th>
                <th>Next attempt</th>
                <th>Delivered</th>
                <th>Log</th>
              </tr>
            </thead>
            <tbody>
              {items.map((delivery) => (
                <tr key={delivery.delivery_id} data-delivery-id={delivery.delivery_id}>
                  <td class="mono">{delivery.delivery_id}</td>
                  <td>
                    <span class="mono">{delivery.event.type}</span> <Time iso={delivery.event.occurred_at} />
                  </td>
                  <td class="mono">{delivery.webhook_id}</td>
                  <td>
                    <Status value={delivery.status} />
                  </td>
                  <td class="num" data-field="attempts">
                    {formatCount(delivery.attempts)} / {formatCount(delivery.attempt_limit)}
                  </td>
                  <td>
                    <Time iso={delivery.next_attempt_at} />
                  </td>
                  <td>
                    <Time iso={delivery.delivered_at} />
                  </td>
                  <td>
                    <ol class="items" data-field="log">
                      {delivery.log.map((attempt) => (
                        <li key={attempt.attempt} data-outcome={attempt.outcome}>
                          #{attempt.attempt} <Status value={attempt.outcome} />
                          {attempt.status_code !== null && ` ${attempt.status_code}`} in {formatCount(attempt.duration_ms)} ms
                          {attempt.error !== null && attempt.status_code === null && <span class="muted"> ({attempt.error})</span>}
                        </li>
                      ))}
                    </ol>
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
