use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = shared::app::cold_start::<jwks::Deps>(env!("CARGO_CRATE_NAME")).await?;
    let identity = &deps.identity;
    shared::http::run(move |req| jwks::handle(req, identity)).await
}
