use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx = shared::app::cold_start::<admin_payouts_list::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| admin_payouts_list::handle(req, ctx)).await
}
