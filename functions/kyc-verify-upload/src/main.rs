use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let ctx = shared::app::context_from_env(kyc_verify_upload::NEEDS).await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        kyc_verify_upload::handle(event, ctx)
    }))
    .await
}
