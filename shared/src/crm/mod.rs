//! Zoho CRM synchronisation. Inbound: [`webhook`] authenticates and queues Zoho's webhook
//! and Notifications API calls for the inbound worker.

pub mod webhook;
