use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx =
        shared::app::cold_start::<admin_partner_timeline::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| admin_partner_timeline::handle(req, ctx)).await
}
