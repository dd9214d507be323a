use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let importer =
        shared::app::cold_start::<shared::resources::strapi::Importer>(env!("CARGO_CRATE_NAME"))
            .await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        resources_import::handle(event, importer)
    }))
    .await
}
