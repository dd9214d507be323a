use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx = shared::app::cold_start::<kyc_verify_upload::Deps>(env!("CARGO_CRATE_NAME")).await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        kyc_verify_upload::handle(event, ctx)
    }))
    .await
}
