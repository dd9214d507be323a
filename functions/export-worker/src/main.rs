use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = shared::app::cold_start::<export_worker::Deps>(env!("CARGO_CRATE_NAME")).await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        export_worker::handle(event, deps)
    }))
    .await
}
