//! The expected texts are Python jinja2's, rendered the way transformers'
//! `apply_chat_template` does (tests/data/chat_templates/render_expected.py).
use super::*;

const QWEN: &str =
    include_str!("../../../tests/data/chat_templates/qwen2.5-coder-0.5b-instruct.jinja");
const SMOLLM2: &str =
    include_str!("../../../tests/data/chat_templates/smollm2-135m-instruct.jinja");
const PYTHON_METHODS: &str =
    include_str!("../../../tests/data/chat_templates/python-methods.jinja");
const TWO_TOOLS: &str = include_str!("../../../tests/data/chat_templates/two-tools.json");

fn tools() -> Vec<ToolSpec> {
    serde_json::from_str(TWO_TOOLS).unwrap()
}

fn message(role: &str, content: &str) -> Message {
    Message {
        role: role.into(),
        content: content.into(),
    }
}

fn system_and_user() -> Vec<Message> {
    vec![
        message("system", "You are a home assistant. Be brief."),
        user(),
    ]
}

fn user() -> Message {
    message(
        "user",
        "Set a timer for 5 minutes and tell me the weather in Zürich.",
    )
}

fn rendered(source: &str, messages: &[Message]) -> String {
    let template = ToolTemplate::new(source, "<|endoftext|>", "<|im_end|>").unwrap();
    template.render(messages, &tools()).unwrap()
}

#[test]
fn qwens_own_template_shows_the_tools_as_transformers_renders_them() {
    let expected =
        include_str!("../../../tests/data/chat_templates/qwen2.5-coder-two-tools.expected.txt");
    let text = rendered(QWEN, &system_and_user());
    assert_eq!(text, expected);
    assert!(text.contains("<tools>\n{\"function\": {\"description\": \"Start a countdown"));
    assert!(text.ends_with("<|im_start|>assistant\n"));

    let expected = include_str!(
        "../../../tests/data/chat_templates/qwen2.5-coder-two-tools-no-system.expected.txt"
    );
    assert_eq!(rendered(QWEN, &[user()]), expected);
}

#[test]
fn python_methods_loop_controls_and_an_indented_tojson_render_as_in_python() {
    let expected = include_str!("../../../tests/data/chat_templates/python-methods.expected.txt");
    assert_eq!(rendered(PYTHON_METHODS, &system_and_user()), expected);
}

#[test]
fn a_template_that_never_uses_tools_is_refused() {
    let refused = ToolTemplate::new(SMOLLM2, "", "").err();
    assert_eq!(refused, Some(TemplateProblem::NoTools));
}

#[test]
fn what_minijinja_cannot_compile_or_render_is_one_line_naming_the_problem() {
    // transformers' `{% generation %}` block (its AssistantTracker) is not Jinja's.
    let tracked = "{% for m in messages %}{% generation %}{{ m.content }}{% endgeneration %}{% endfor %}{{ tools }}";
    let Err(TemplateProblem::Compile(e)) = ToolTemplate::new(tracked, "", "") else {
        panic!("compiled");
    };
    assert!(e.contains("generation") && !e.contains('\n'), "{e}");

    let refusing = "{% if tools %}{{ raise_exception('Tools need a system message') }}{% endif %}";
    let template = ToolTemplate::new(refusing, "", "").unwrap();
    let e = template
        .render(&[user()], &tools())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("the chat template could not be rendered with tools: ")
            && e.contains("Tools need a system message")
            && !e.contains('\n'),
        "{e}"
    );
}

#[test]
fn a_template_that_loops_without_end_runs_out_of_fuel() {
    let endless = "{% for a in range(100000) %}{% for b in range(100000) %}{{ tools }}{% endfor %}{% endfor %}";
    let template = ToolTemplate::new(endless, "", "").unwrap();
    let e = template
        .render(&[user()], &tools())
        .unwrap_err()
        .to_string();
    assert!(e.contains("fuel") && !e.contains('\n'), "{e}");
    // Qwen's own template renders well inside the same budget.
    let qwen = rendered(QWEN, &system_and_user());
    assert!(qwen.contains("<tools>"), "{qwen}");
}

#[test]
fn the_date_and_special_tokens_reach_the_template() {
    let source = "{{ bos_token }}{{ strftime_now('%Y') }}{{ tools | length }}{{ eos_token }}";
    let text = ToolTemplate::new(source, "<s>", "</s>")
        .unwrap()
        .render(&[user()], &tools())
        .unwrap();
    let year = chrono::Local::now().format("%Y").to_string();
    assert_eq!(text, format!("<s>{year}2</s>"));
}
