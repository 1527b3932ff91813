//! The checked-in man page (docs/trib.1) matches what the clap definition generates.

#[path = "../examples/man.rs"]
#[allow(dead_code)]
mod man;

#[test]
fn man_page_is_in_sync() {
    let page = String::from_utf8(man::render().unwrap()).unwrap();
    let path = format!("{}/docs/trib.1", env!("CARGO_MANIFEST_DIR"));
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        page == checked_in,
        "docs/trib.1 is out of date: run scripts/gen-completions.sh"
    );
}

#[test]
fn man_page_documents_every_subcommand_and_global_option() {
    use clap::CommandFactory;
    let page = String::from_utf8(man::render().unwrap()).unwrap();
    assert!(page.contains("\n.TH trib 1 "), "no title line");
    let cmd = trib::cli::Cli::command();
    for sub in cmd.get_subcommands() {
        assert!(
            page.contains(&format!(".SS \"trib {}\"", sub.get_name())),
            "no section for {}",
            sub.get_name()
        );
    }
    for arg in cmd.get_arguments() {
        if let Some(long) = arg.get_long() {
            // roff escapes '-' as '\-'.
            let escaped = format!("\\-\\-{}", long.replace('-', "\\-"));
            assert!(page.contains(&escaped), "--{long} is not in the page");
        }
    }
    for section in ["EXIT STATUS", "ENVIRONMENT", "EXAMPLES"] {
        assert!(page.contains(section), "no {section} section");
    }
}
