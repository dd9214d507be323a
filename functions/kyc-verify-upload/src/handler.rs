//! Verifies each upload the bucket reports (KYC documents under `kyc/`, lead attachments
//! under `leads/`, logos under `logos/`): size equal to the declared size, magic bytes of
//! the declared type (a logo's header must also give dimensions within bounds). Matches go to review; anything
//! else is deleted and the document rejected with the reason. Redelivery is harmless.

use aws_lambda_events::s3::S3Event;
use chrono::Utc;
use lambda_runtime::LambdaEvent;
use shared::app::{Context, Keys, Needs};
use shared::kyc::{self, Verification};

pub const NEEDS: Needs = Needs {
    keys: Keys::None,
    cursors: false,
    documents: true,
    field_cipher: false,
};

/// Verifies every record; an infrastructure error fails the invocation so Lambda retries it.
pub async fn handle(
    event: LambdaEvent<S3Event>,
    ctx: &Context,
) -> Result<(), lambda_runtime::Error> {
    let docs = ctx.documents().map_err(|p| format!("{p:?}"))?;
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
                    .map_err(|p| format!("verification of {key} failed: {:?}", p.code()))?;
            tracing::info!(object = %key, outcome = ?outcome, "logo checked");
            continue;
        }
        if key.starts_with("leads/") {
            let ok = shared::leads::verify_attachment(ctx.store(), docs, &key, etag)
                .await
                .map_err(|p| format!("verification of {key} failed: {:?}", p.code()))?;
            tracing::info!(object = %key, verified = ok, "lead attachment checked");
            continue;
        }
        let outcome = kyc::verify_upload(ctx.store(), docs, &key, etag, Utc::now())
            .await
            .map_err(|p| format!("verification of {key} failed: {:?}", p.code()))?;
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
