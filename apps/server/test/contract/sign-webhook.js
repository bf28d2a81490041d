// Postman pre-request script (runs in newman's sandbox, which provides CryptoJS): signs the webhook
// request as a processor does, with the Standard Webhooks headers over `id.timestamp.body`.
const secret = pm.variables.get('webhookSecret');
const id = 'msg_' + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
const timestamp = String(Math.floor(Date.now() / 1000));
const body = pm.variables.replaceIn(pm.request.body && pm.request.body.raw ? pm.request.body.raw : '');
const key = CryptoJS.enc.Base64.parse(secret.replace(/^whsec_/, ''));
const signature = CryptoJS.HmacSHA256(id + '.' + timestamp + '.' + body, key).toString(CryptoJS.enc.Base64);
// The converter adds these headers switched off (they are optional parameters): replace them.
pm.request.headers.remove('webhook-id');
pm.request.headers.remove('webhook-timestamp');
pm.request.headers.add({ key: 'webhook-id', value: id });
pm.request.headers.add({ key: 'webhook-timestamp', value: timestamp });
// The WebhookSignature security scheme (apiKey in header webhook-signature) sends {{apiKey}}.
pm.variables.set('apiKey', 'v1,' + signature);
