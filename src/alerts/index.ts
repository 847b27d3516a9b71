/**
 * Alerts: raised in the ledger transaction of the change that causes them (`alert.raised` plus an
 * outbox row), delivered to signed webhooks at least once with bounded retries, every outcome
 * recorded (`alert.delivered`, `alert.delivery_failed`). See docs/alerts.md.
 */
export {
  ALERT_SEVERITIES,
  ALERT_STATES,
  type Alert,
  type AlertInput,
  type AlertSeverity,
  type AlertState,
  type AlertStatus,
} from './alert-model.js';
export { MAX_DETAILS_BYTES, MAX_NOTIFY, MAX_SUMMARY_LENGTH } from './alert-validate.js';
export { ALERT_RAISED, raiseAlert } from './raise-alert.js';
export { listAlerts, type ListAlertsFilter } from './list-alerts.js';
export {
  createAlertDelivery,
  type AlertDelivery,
  type AlertDeliveryOptions,
  type DeliveryReport,
} from './alert-delivery.js';
export { ALERT_DELIVERED, ALERT_DELIVERY_FAILED } from './delivery-records.js';
export { MIN_SECRET_BYTES, type WebhookConfig } from './webhook-endpoint.js';
export { WEBHOOK_BODY_VERSION, signWebhook, webhookBody } from './webhook-post.js';
