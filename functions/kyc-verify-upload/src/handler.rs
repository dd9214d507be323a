//! Verifies each upload the bucket reports: KYC documents under `kyc/`, lead attachments
//! under `leads/`, logos under `logos/`, resource files under `resources/`, internal
//! documents under `internal/`. Size equal to
//! the declared size, magic bytes of the declared type (a logo's header must also give
//! dimensions within bounds). A KYC document that matches goes to review, the others are
//! accepted; anything else is deleted and rejected with the reason. Redelivery is harmless.

use aws_lambda_events::s3::S3Event;
use chrono::Utc;
use lambda_runtime::Diagnostic;
use lambda_runtime::LambdaEvent;
use shared::app::{Context, Needs};
use shared::fault::diagnostic;
use shared::kyc::{self, Verification};

shared::function_deps!(Needs::none().documents());

/// Verifies every record. A failure fails the invocation, typed retryable or permanent
/// (see [`shared::fault::diagnostic`]): Lambda retries it, then sends the event to the
/// alarmed dead-letter queue.
pub async fn handle(event: LambdaEvent<S3Event>, ctx: &Context) -> Result<(), Diagnostic> {
    let docs = ctx
        .documents()
        .map_err(|e| diagnostic("verifying uploads", &e))?;
    for record in event.payload.records {
        let Some(raw) = record.s3.object.key.as_deref() else {
            continue;
        };
        let key = shared::storage::decode_event_key(raw);
        let etag = record.s3.object.e_tag.as_deref();
        if key.starts_with(shared::partners::profile::LOGO_PREFIX) {
            let outcome =
                shared::partners::profile::verify_logo(ctx.store(), docs, &key, etag, Utc::now())
                    .await
                    .map_err(|e| diagnostic(&format!("checking {key}"), &e))?;
            tracing::info!(object = %key, outcome = ?outcome, "logo checked");
            continue;
        }
        if key.starts_with(shared::resources::verify::PREFIX) {
            let outcome = shared::resources::verify::verify(ctx.store(), docs, &key, etag)
                .await
                .map_err(|e| diagnostic(&format!("checking {key}"), &e))?;
            tracing::info!(object = %key, outcome = ?outcome, "resource file checked");
            continue;
        }
        if key.starts_with(shared::workspace::documents::PREFIX) {
            let outcome = shared::workspace::documents::verify(ctx.store(), docs, &key)
                .await
                .map_err(|e| diagnostic(&format!("checking {key}"), &e))?;
            tracing::info!(object = %key, outcome = ?outcome, "internal document checked");
            continue;
        }
        if key.starts_with("leads/") {
            let ok = shared::leads::verify_attachment(ctx.store(), docs, &key, etag)
                .await
                .map_err(|e| diagnostic(&format!("checking {key}"), &e))?;
            tracing::info!(object = %key, verified = ok, "lead attachment checked");
            continue;
        }
        let outcome = kyc::verify_upload(ctx.store(), docs, &key, etag, Utc::now())
            .await
            .map_err(|e| diagnostic(&format!("checking {key}"), &e))?;
        match outcome {
            Verification::Accepted => tracing::info!(object = %key, "upload verified"),
            Verification::Rejected(reason) => {
                tracing::info!(object = %key, %reason, "upload rejected and deleted")
            }
            other => tracing::info!(object = %key, outcome = ?other, "nothing to verify"),
        }
    }
    Ok(())
}
