//! The reference solutions, run through the same checks as the exercises:
//! `solutions NN` checks the solution of exercise NN. `tests/dev_check.rs`
//! runs it for every exercise (and `exNN` for every shipped exercise).

#[path = "../../solutions/ex01_uppercase_echo.rs"]
mod ex01;
#[path = "../../solutions/ex02_udp_time.rs"]
mod ex02;
#[path = "../../solutions/ex03_line_codec.rs"]
mod ex03;
#[path = "../../solutions/ex04_poll_server.rs"]
mod ex04;
#[path = "../../solutions/ex05_forking_children.rs"]
mod ex05;
#[path = "../../solutions/ex06_allow_list.rs"]
mod ex06;
#[path = "../../solutions/ex07_chat_who.rs"]
mod ex07;
#[path = "../../solutions/ex08_http_json.rs"]
mod ex08;
#[path = "../../solutions/ex09_bounded_pool.rs"]
mod ex09;
#[path = "../../solutions/ex10_kv_store.rs"]
mod ex10;
#[path = "../../solutions/ex11_idle_and_limits.rs"]
mod ex11;
#[path = "../../solutions/ex12_select_to_file.rs"]
mod ex12;
#[path = "../../solutions/ex13_driver_conductor.rs"]
mod ex13;
#[path = "../../solutions/ex14_chat_join_leave.rs"]
mod ex14;
#[path = "../../solutions/ex15_http_static.rs"]
mod ex15;
#[path = "../../solutions/ex16_ftp_get_put.rs"]
mod ex16;
#[path = "../../solutions/ex17_process_pool.rs"]
mod ex17;

use std::process::ExitCode;
use std::sync::Arc;

use exercises::checks;

fn main() -> ExitCode {
    let number = std::env::args().nth(1).unwrap_or_default();
    match format!("{number:0>2}").as_str() {
        "01" => checks::ex01::run(|| ex01::UppercaseEcho),
        "02" => checks::ex02::run(|| ex02::TimeServer),
        "03" => checks::ex03::run(
            ex03::LineCodec::new,
            ex03::LineCodec::decode,
            ex03::encode,
            ex03::MAX_LINE,
        ),
        "04" => checks::ex04::run(ex04::serve),
        "05" => checks::ex05::run(ex05::serve),
        "06" => checks::ex06::run(ex06::is_allowed),
        "07" => {
            let room = Arc::new(ex07::Room::default());
            checks::ex07::run(move || ex07::ChatHandler::new(Arc::clone(&room)))
        }
        "08" => checks::ex08::run(|| ex08::JsonHandler),
        "09" => checks::ex09::run(ex09::BoundedPool::new),
        "10" => {
            let store = ex10::Store::default();
            checks::ex10::run(move || {
                framework::Lines::new(ex10::KvProtocol {
                    store: store.clone(),
                })
            })
        }
        "11" => checks::ex11::run(ex11::protocol, ex11::configure, ex11::IDLE, ex11::MAX_LINE),
        "12" => checks::ex12::run(ex12::serve),
        "13" => checks::ex13::run(ex13::ride),
        "14" => {
            let members = ex14::Members::default();
            checks::ex14::run(move || ex14::ChatRoom {
                members: Arc::clone(&members),
            })
        }
        "15" => checks::ex15::run(|root| ex15::StaticFiles { root }),
        "16" => checks::ex16::run(|library| ex16::FileServer { library }),
        "17" => checks::ex17::run(checks::ex17::PoolCalls {
            new: ex17::Pool::new,
            pids: ex17::Pool::pids,
            map: ex17::Pool::map,
            close: ex17::Pool::close,
        }),
        _ => {
            eprintln!(
                "usage: solutions NN (01 to {})",
                exercises::catalogue::EXERCISES
                    .last()
                    .map_or("01", |ex| ex.number)
            );
            ExitCode::from(2)
        }
    }
}
