use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx = shared::app::cold_start::<auth_register::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| auth_register::handle(req, ctx)).await
}
