use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let identity = shared::app::from_env(admin_bootstrap::KEYS, admin_bootstrap::CURSORS).await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        admin_bootstrap::handle(event, identity)
    }))
    .await
}
