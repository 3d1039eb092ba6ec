/**
 * The webhook dispatcher against a real HTTP receiver, on SQLite and PostgreSQL: every request verifies with the
 * Standard Webhooks library; a receiver that is down and then up gets the delivery after retries; one that always
 * fails leaves a dead letter that redelivery sends again; filters are honoured; every attempt, retry and
 * redelivery of an event carries one webhook-id. The clock is the test's, so no wait decides an outcome.
 */
import { expect } from "chai";
import { Webhook } from "standardwebhooks";
import { deliveryId, EventStore, WebhookDispatcher, type Subscription } from "../../src/events";
import { describeOnBothBackends } from "../support/storage";
import { newSecret, Receiver, recordSynthetic, syntheticEvent } from "./helpers";

const SCHEDULE = [1_000, 5_000];

describeOnBothBackends("webhook dispatcher", (backend) => {
  let store: EventStore;
  let receiver: Receiver;
  let dispatcher: WebhookDispatcher;
  let now: number;
  let secret: string;
  const env: NodeJS.ProcessEnv = {};

  beforeEach(async function () {
    store = await EventStore.open(await backend.location());
    receiver = new Receiver();
    await receiver.up();
    now = Date.UTC(2026, 11, 7, 9);
    secret = newSecret();
    env.WEBHOOK_SECRET = secret;
    dispatcher = new WebhookDispatcher(store, {
      config: { retryScheduleMs: SCHEDULE, jitter: 0.5 },
      now: () => now,
      random: () => 0.5, // no jitter: the waits are the schedule's
      env,
    });
  });

  afterEach(async function () {
    await receiver.down();
    await store.close();
  });

  const subscribe = (types: string[] = []): Promise<Subscription> =>
    dispatcher.webhooks.createSubscription({ url: receiver.url, types, secret: { env: "WEBHOOK_SECRET" } });

  it("signs each delivery so that the library's Webhook.verify accepts it, under the delivery's id", async function () {
    now = Date.now(); // the receiver checks the signed timestamp against its own clock
    const subscription = await subscribe();
    const [event] = await recordSynthetic(store, [syntheticEvent(1)]);
    expect(await dispatcher.runOnce()).to.equal(1);
    expect(receiver.requests).to.have.length(1);
    const { headers, body } = receiver.requests[0];
    const verified = new Webhook(secret).verify(body, headers as Record<string, string>) as {
      type: string;
      data: { id: string; seq: number };
    };
    expect(verified.type).to.equal("SettlementInstructed");
    expect(verified.data.id).to.equal(event.id);
    expect(headers["webhook-id"]).to.equal(deliveryId(event.id, subscription.id));
    expect(() => new Webhook(newSecret()).verify(body, headers as Record<string, string>)).to.throw();
    expect((await dispatcher.webhooks.delivery(deliveryId(event.id, subscription.id))).state).to.equal("delivered");
  });

  it("delivers after retries once a receiver that was down comes up, every attempt under one webhook-id", async function () {
    const subscription = await subscribe();
    const [event] = await recordSynthetic(store, [syntheticEvent(1)]);
    const id = deliveryId(event.id, subscription.id);
    await receiver.down();
    await dispatcher.runOnce();
    let delivery = await dispatcher.webhooks.delivery(id);
    expect(delivery).to.include({ state: "pending", attempts: 1, nextAttemptAt: now + SCHEDULE[0] });
    expect(delivery.lastError).to.equal("ECONNREFUSED");
    expect(await dispatcher.runOnce(), "not due before its retry time").to.equal(0);

    await receiver.up();
    receiver.status = 503;
    now += SCHEDULE[0];
    await dispatcher.runOnce();
    delivery = await dispatcher.webhooks.delivery(id);
    expect(delivery).to.include({ state: "pending", attempts: 2, lastStatus: 503, nextAttemptAt: now + SCHEDULE[1] });

    receiver.status = 204;
    now += SCHEDULE[1];
    await dispatcher.runOnce();
    expect(await dispatcher.webhooks.delivery(id)).to.include({ state: "delivered", attempts: 3, lastStatus: 204 });
    expect(receiver.requests.map((r) => r.headers["webhook-id"])).to.deep.equal([id, id]);
  });

  it("leaves a permanently failing delivery as a dead letter, and redelivers it under the same id", async function () {
    const subscription = await subscribe();
    const [event] = await recordSynthetic(store, [syntheticEvent(1)]);
    const id = deliveryId(event.id, subscription.id);
    receiver.status = 500;
    for (const wait of [0, ...SCHEDULE]) {
      now += wait;
      expect(await dispatcher.runOnce()).to.equal(1);
    }
    expect(await dispatcher.webhooks.delivery(id)).to.include({ state: "dead", attempts: 3, lastStatus: 500 });
    expect((await dispatcher.webhooks.deliveries({ state: "dead", limit: 10 })).map((d) => d.id)).to.deep.equal([id]);
    now += 3_600_000;
    expect(await dispatcher.runOnce(), "a dead letter is never retried on its own").to.equal(0);

    receiver.status = 200;
    expect(await dispatcher.redeliver(id)).to.include({ state: "pending", attempts: 0 });
    await dispatcher.runOnce();
    expect(await dispatcher.webhooks.delivery(id)).to.include({ state: "delivered", attempts: 1 });
    expect(new Set(receiver.requests.map((r) => r.headers["webhook-id"]))).to.deep.equal(new Set([id]));
    expect(receiver.requests).to.have.length(4);
  });

  it("honours each subscription's event types", async function () {
    const settled = await subscribe(["SettlementSettled"]);
    const all = await subscribe();
    const events = await recordSynthetic(store, [syntheticEvent(1), syntheticEvent(2, "SettlementSettled")]);
    while ((await dispatcher.runOnce()) > 0);
    const bySubscription = (s: Subscription) =>
      receiver.requests
        .filter((r) => String(r.headers["webhook-id"]).length > 0)
        .filter((r) => events.some((e) => deliveryId(e.id, s.id) === r.headers["webhook-id"]))
        .map((r) => (JSON.parse(r.body) as { type: string }).type);
    expect(bySubscription(settled)).to.deep.equal(["SettlementSettled"]);
    expect(bySubscription(all).sort()).to.deep.equal(["SettlementInstructed", "SettlementSettled"]);
  });

  it("never sends the waiting deliveries of a deleted subscription", async function () {
    const subscription = await subscribe();
    await receiver.down();
    await recordSynthetic(store, [syntheticEvent(1)]);
    await dispatcher.runOnce();
    await dispatcher.webhooks.deleteSubscription(subscription.id);
    await receiver.up();
    now += SCHEDULE[0];
    expect(await dispatcher.runOnce()).to.equal(0);
    expect(receiver.requests).to.have.length(0);
    const [cancelled] = await dispatcher.webhooks.deliveries({ subscriptionId: subscription.id, limit: 10 });
    expect(cancelled.state).to.equal("cancelled");
  });

  it("fails an attempt whose secret is missing or not a whsec_ secret, writing no secret to the store", async function () {
    const subscription = await subscribe();
    const [event] = await recordSynthetic(store, [syntheticEvent(1)]);
    delete env.WEBHOOK_SECRET;
    await dispatcher.runOnce();
    const delivery = await dispatcher.webhooks.delivery(deliveryId(event.id, subscription.id));
    expect(delivery).to.include({ state: "pending", attempts: 1 });
    expect(delivery.lastError).to.contain("secret");
    expect(receiver.requests).to.have.length(0);
    expect(JSON.stringify(await dispatcher.webhooks.subscriptions())).not.to.contain(secret.slice(6));

    env.WEBHOOK_SECRET = "not-a-webhook-secret";
    now += SCHEDULE[0];
    await dispatcher.runOnce();
    const refused = await dispatcher.webhooks.delivery(deliveryId(event.id, subscription.id));
    expect(refused).to.include({ state: "pending", attempts: 2 });
    expect(refused.lastError).to.contain("whsec_").and.not.contain("not-a-webhook-secret");
    expect(receiver.requests).to.have.length(0);
  });

  it("records an event read twice once, and enqueues its delivery once", async function () {
    await subscribe();
    const event = syntheticEvent(1);
    expect(await recordSynthetic(store, [event])).to.have.length(1);
    expect(await recordSynthetic(store, [event]), "the same id is the same row").to.have.length(0);
    expect(await store.list({ limit: 10 })).to.have.length(1);
    expect(await dispatcher.webhooks.deliveries({ limit: 10 })).to.have.length(1);
  });
});
