use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = shared::app::cold_start::<admin_bootstrap::Deps>(env!("CARGO_CRATE_NAME")).await?;
    let identity = &deps.identity;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        admin_bootstrap::handle(event, identity)
    }))
    .await
}
