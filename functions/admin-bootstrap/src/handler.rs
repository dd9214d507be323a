//! Creates an internal admin user. Not routed: ops invoke it once per admin, e.g.
//! `aws lambda invoke --function-name <AdminBootstrapFunction> --payload '{"email":"ops@example.com"}' out.json`;
//! the admin receives an invitation email. Locally `make dev` seeds one with a password.

use chrono::Utc;
use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};
use shared::app::Keys;
use shared::identity::service::{self, BootstrapAdminRequest, Identity};

pub const KEYS: Keys = Keys::None;
pub const CURSORS: bool = false;
shared::function_deps!(shared::app::Needs::of(KEYS, CURSORS));

/// Answers `{"created": {...}}` or `{"problem": {...}}`; a duplicate email is a problem,
/// not a function error, so a retried invocation does not look like a crash.
pub async fn handle(
    event: LambdaEvent<Value>,
    id: &Identity,
) -> Result<Value, lambda_runtime::Error> {
    let request_id = event.context.request_id.clone();
    let req: BootstrapAdminRequest = match serde_json::from_value(event.payload) {
        Ok(r) => r,
        Err(e) => {
            return Ok(
                json!({"problem": {"status": 400, "code": "invalid_event", "detail": e.to_string()}}),
            );
        }
    };
    match service::bootstrap_admin(id, req, Utc::now()).await {
        Ok(admin) => {
            tracing::info!(user_id = %admin.user_id, "admin created");
            Ok(json!({"created": admin}))
        }
        Err(problem) => {
            Ok(json!({"problem": shared::http::Problem::from(problem).body(&request_id)}))
        }
    }
}
