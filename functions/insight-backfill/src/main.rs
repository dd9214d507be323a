use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps =
        shared::app::cold_start::<shared::insight::nightly::Nightly>(env!("CARGO_CRATE_NAME"))
            .await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        insight_backfill::handle(event, deps)
    }))
    .await
}
