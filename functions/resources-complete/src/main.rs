use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx = shared::app::cold_start::<resources_complete::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| resources_complete::handle(req, ctx)).await
}
