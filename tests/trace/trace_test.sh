#!/usr/bin/env bash
# trace_test.sh: checks `greenring trace summary|svg FILE.json` against hand-written traces
# in the runtime's format (sample.json, unicode.json, malformed.json here) and generated
# ones: the summary's counts and sites, the SVG's well-formedness, lanes and labels, the
# strict JSON reader, and the one-line errors with their exit statuses.
# usage: trace_test.sh PATH/TO/greenring
set -u

if [[ $# -ne 1 ]]; then
    echo "usage: $0 PATH/TO/greenring" >&2
    exit 2
fi
G=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
PY=/usr/bin/python3

passed=0
failed=0
rc=0

# g ARGS...: runs the launcher; stdout in $work/out, stderr in $work/err, status in $rc.
g() {
    "$G" "$@" >"$work/out" 2>"$work/err" </dev/null
    rc=$?
}

ok() { passed=$((passed + 1)); }
bad() {
    failed=$((failed + 1))
    echo "FAIL: $1"
    echo "  status $rc; stderr:"
    sed 's/^/  | /' "$work/err" | head -10
}

expect_success() {  # NAME
    if [[ $rc -ne 0 ]]; then
        bad "$1: want status 0"
    elif [[ -s $work/err ]]; then
        bad "$1: want nothing on stderr"
    else
        ok
    fi
}

# An error is exactly one line on stderr, starting with "greenring: ", and nothing on stdout.
expect_error() {  # NAME WANT_RC [FIXED_TEXT]
    local lines
    lines=$(wc -l <"$work/err")
    if [[ $rc -ne $2 ]]; then
        bad "$1: want status $2"
    elif [[ $lines -ne 1 ]]; then
        bad "$1: want one line on stderr, got $lines"
    elif ! grep -q '^greenring: ' "$work/err"; then
        bad "$1: want the line to start with 'greenring: '"
    elif [[ $# -ge 3 ]] && ! grep -qF -- "$3" "$work/err"; then
        bad "$1: want '$3' in the message"
    elif [[ -s $work/out ]]; then
        bad "$1: want nothing on stdout"
    else
        ok
    fi
}

# expect_line NAME REGEX: some line of stdout matches the extended regex.
expect_line() {
    if grep -qE -- "$2" "$work/out"; then
        ok
    else
        bad "$1: no line of the output matches /$2/"
        sed 's/^/  > /' "$work/out" | head -40
    fi
}

# expect_text NAME TEXT: stdout contains the fixed text.
expect_text() {
    if grep -qF -- "$2" "$work/out"; then
        ok
    else
        bad "$1: the output lacks '$2'"
        sed 's/^/  > /' "$work/out" | head -40
    fi
}

# svg_facts FILE: parses the SVG as XML (fails if it is not well-formed) and prints what
# the checks look at, one fact per line: "lanes N", "tid T", "name TEXT", "bars N",
# "label TEXT", "tooltip-line TEXT", "merged-note yes|no".
svg_facts() {
    "$PY" - "$1" <<'PY'
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
def text(node):
    return "".join(c.data for c in node.childNodes if c.nodeType == c.TEXT_NODE)
def has_class(node, name):
    return node.getAttribute("class") == name
groups = doc.getElementsByTagName("g")
lanes = [g for g in groups if has_class(g, "lane")]
print("lanes", len(lanes))
bars = 0
for lane in lanes:
    print("tid", lane.getAttribute("data-tid"))
    rects = lane.getElementsByTagName("rect")
    bars += len(rects)
    for r in rects:
        for t in r.getElementsByTagName("title"):
            for line in text(t).split("\n"):
                print("tooltip-line", line)
print("bars", bars)
for g in groups:
    if has_class(g, "lane-name"):
        for t in g.getElementsByTagName("text"):
            print("name", text(t))
    if has_class(g, "labels"):
        for t in g.getElementsByTagName("text"):
            print("label", text(t))
merged = any("merged" in text(t) for g in groups if has_class(g, "header")
             for t in g.getElementsByTagName("text"))
print("merged-note", "yes" if merged else "no")
PY
}

# svg_check NAME FILE: the SVG in FILE parses as XML; its facts go to $work/out.
svg_check() {
    if svg_facts "$2" >"$work/facts" 2>"$work/xmlerr"; then
        ok
        cp "$work/facts" "$work/out"
    else
        failed=$((failed + 1))
        echo "FAIL: $1: not well-formed XML"
        sed 's/^/  | /' "$work/xmlerr" | tail -3
        : >"$work/out"
    fi
}

# --- summary of a representative trace -------------------------------------------------
g trace summary "$here/sample.json"
expect_success "summary sample.json"
expect_text "facts: schedule" "sched random, seed 18446744073709551615, depth 3"
expect_text "facts: version and pid" "greenring 0.1.0 (pid 4242)"
expect_line "facts: switches" "^  switches +13; 13 run intervals in the trace$"
expect_text "facts: threads" "3 green threads + 2 main contexts"
expect_text "facts: traced time" "10.045 ms traced"
expect_text "facts: run time" "38.000 µs running"
expect_text "facts: ignored events" "3 events of other kinds"
expect_text "yields: totals" "yields by site (13 yields, 8 distinct)"
expect_line "yields: write fd=3 row" \
    '^ +3 +23\.1% +write fd=3 +log_line\+0x1c \(/nonexistent/demo\+0x1b1c\)$'
expect_line "yields: mutex row keeps the address" \
    '^ +2 +15\.4% +mutex 0x55d0c0a4e0c0 +/nonexistent/demo\+0x1c00$'
expect_line "yields: read row" '^ +2 +15\.4% +read fd=5 +accept_loop\+0x1c '
expect_line "yields: exit row" '^ +2 +15\.4% +exit +worker\+0xf0 \(/nonexistent/demo\)$'
expect_line "yields: offload row" '^ +1 +7\.7% +offload +resolve\+0x10 \(libfoo\.so\+0x300\)$'
# Sorted by count: the first row under the column titles is the most frequent.
if sed -n '/^yields by site/{n;n;p;q}' "$work/out" | grep -q 'write fd=3'; then ok; else
    bad "yields: sorted by count (write fd=3 first)"
fi
expect_line "threads: main" '^ +0 +main +2 +11\.000 µs +10\.000 +join 0x7ffd0000a000 at main\+0x40 '
expect_line "threads: worker-1" \
    '^ +2 +worker-1 +4 +13\.500 µs +6\.000 +write fd=3 at log_line\+0x1c \(/nonexistent/demo\+0x1b1c\)$'
expect_line "threads: worker-2 (first of equal longest)" '^ +3 +worker-2 +4 +9\.000 µs +3\.000 +write fd=3 at '
expect_line "threads: acceptor" '^ +1 +acceptor +2 +3\.500 µs +2\.000 +read fd=5 at '
expect_line "threads: other OS thread's main context" \
    '^ +100000005 +main \(OS thread 5\) +1 +1\.000 µs +1\.000 +offload at '
if [[ $(grep -c 'gc' "$work/out") -eq 0 ]]; then ok; else bad "an X event of another category is not a run interval"; fi

# --- SVG of the same trace -------------------------------------------------------------
g trace svg "$here/sample.json"
expect_success "svg sample.json"
cp "$work/out" "$work/sample.svg"
if head -c 200 "$work/sample.svg" | grep -q '<svg xmlns="http://www.w3.org/2000/svg"'; then ok; else
    bad "svg: an <svg> root in the SVG namespace"
fi
svg_check "svg sample.json is XML" "$work/sample.svg"
expect_line "svg: one lane per track" '^lanes 5$'
for tid in 0 1 2 3 100000005; do expect_line "svg: lane for tid $tid" "^tid $tid\$"; done
for name in main acceptor worker-1 worker-2 'main (OS thread 5)'; do
    expect_line "svg: lane name $name" "^name ${name//[()]/.}\$"
done
expect_line "svg: one bar per run interval" '^bars 13$'
for label in 'join 0x7ffd0000a000' 'read fd=5' 'exit' 'nanosleep 10ms' 'offload'; do
    expect_line "svg: label $label" "^label $label\$"
done
expect_line "svg: tooltip what" '^tooltip-line ended by: mutex 0x55d0c0a4e0c0$'
expect_line "svg: tooltip site" '^tooltip-line site: log_line\+0x1c \(/nonexistent/demo\+0x1b1c\)$'
expect_line "svg: tooltip ts and dur" '^tooltip-line ran 28\.000 µs → 34\.000 µs \(6\.000 µs\)$'
expect_line "svg: tooltip seq" '^tooltip-line switch #7$'
expect_line "svg: no merging for a small trace" '^merged-note no$'
if grep -q 'ms</text>' "$work/sample.svg"; then ok; else bad "svg: axis ticks in ms for a 10 ms trace"; fi
if grep -qF 'seed 18446744073709551615' "$work/sample.svg"; then ok; else bad "svg: facts in the header"; fi

# --- unicode and escapes ---------------------------------------------------------------
g trace summary "$here/unicode.json"
expect_success "summary unicode.json"
expect_text "unicode: raw UTF-8 name" "wörker-β"
expect_text "unicode: \\u escapes and a surrogate pair" "été 😀"
expect_text "unicode: quote, backslash, slash escapes" "q\"uote\\back<&>'/"
expect_text "unicode: control characters made visible" 'bell\x07\x09tab'
expect_text "unicode: CJK site" "日本+0x10 (/opt/日本/lib.so)"
expect_text "unicode: no-break space escape" $'cond 0x5555\u00a0<&>'
expect_text "unicode: C++ site with spaces and parentheses" \
    "Grüße::send(std::vector<int, std::allocator<int> > const&)+0x1c (/opt/app dir/bin/srv+0x2000)"
expect_line "unicode: numbers 1e0 and 7.5E+0" '^ +1 +wörker-β +2 +2\.500 µs'
g trace svg "$here/unicode.json"
expect_success "svg unicode.json"
cp "$work/out" "$work/unicode.svg"
svg_check "svg unicode.json is XML" "$work/unicode.svg"
expect_line "unicode svg: lanes" '^lanes 5$'
expect_text "unicode svg: name with emoji" "name été 😀"
expect_text "unicode svg: name with markup characters" "name q\"uote\\back<&>'/"
expect_text "unicode svg: label with quotes" "label read fd=4 \"quoted\""
expect_text "unicode svg: tooltip site with markup" "tooltip-line site: a<b>&c+0x1 (/x)"

# Escapes, decoded: \u00e9 \n \/ \\ \" and a raw tab would be an error (tested below).
printf '%s' '{"traceEvents":[{"ph":"M","tid":1,"name":"thread_name","args":{"name":"a\u00e9\n\/\\\"z"}},{"ph":"X","tid":1,"ts":0,"dur":1,"args":{"yield":"yield","site":"?"}}]}' >esc.json
g trace summary esc.json
expect_success "escapes"
expect_text "escapes decoded" 'aé\x0a/\"z'
expect_text "a trace without pid or otherData" "not recorded (no otherData.greenring)"

# --- a large trace: tiny neighbours merged in the SVG ----------------------------------
awk -v n=6000 -v threads=8 'BEGIN {
    srand(3); ts = 0
    printf "{\"traceEvents\":[\n"
    for (t = 1; t <= threads; t++)
        printf "{\"ph\":\"M\",\"pid\":9,\"tid\":%d,\"name\":\"thread_name\",\"args\":{\"name\":\"conn-%d\"}},\n", t, t
    for (i = 0; i < n; i++) {
        tid = (i % threads) + 1
        dur = (i % 500 == 0) ? 3000 : 0.5 + rand() * 3
        what = (i % 2) ? "read fd=" (tid + 3) : "write fd=" (tid + 3)
        printf "%s{\"ph\":\"X\",\"pid\":9,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,\"name\":\"run\",\"cat\":\"green\",\"args\":{\"yield\":\"%s\",\"site\":\"handler+0x%x (/srv/app)\",\"seq\":%d}}\n", (i ? "," : ""), tid, ts, dur, what, 16 + (i % 3) * 8, i
        ts += dur + 0.25
    }
    printf "],\"otherData\":{\"greenring\":{\"version\":\"0.1.0\",\"sched\":\"fifo\",\"switches\":%d}}}\n", n
}' >big.json
g trace summary big.json
expect_success "summary of a large trace"
expect_text "large: all yields counted" "yields by site (6000 yields, 24 distinct)"
expect_line "large: per-thread intervals" '^ +1 +conn-1 +750 '
g trace svg big.json
expect_success "svg of a large trace"
cp "$work/out" "$work/big.svg"
svg_check "large svg is XML" "$work/big.svg"
expect_line "large svg: eight lanes" '^lanes 8$'
expect_line "large svg: says it merged" '^merged-note yes$'
bars=$(sed -n 's/^bars //p' "$work/out")
if [[ -n $bars && $bars -lt 6000 && $bars -gt 8 ]]; then ok; else bad "large svg: fewer bars than intervals (got ${bars:-none})"; fi
expect_line "large svg: merged tooltips count intervals" '^tooltip-line conn-1 \(tid 1\): [0-9]+ run intervals, merged'
expect_line "large svg: wide intervals stay single" '^tooltip-line ran [0-9.]+ (µs|ms) → [0-9.]+ ms \(3\.000 ms\)$'

# --- call sites to file:line with addr2line -------------------------------------------
if command -v cc >/dev/null && command -v nm >/dev/null && command -v addr2line >/dev/null; then
    printf '%s\n' '#include <stdio.h>' 'int log_line(int x)' '{' '    printf("%d\n", x);' \
        '    return x + 1;' '}' 'int main(void) { return log_line(3) == 4 ? 0 : 1; }' >prog.c
    if cc -g -O0 -fPIE -pie -o prog prog.c 2>/dev/null; then
        off=$(nm prog | awk '$3 == "log_line" { print $1 }' | sed 's/^0*//')
        cat >sym.json <<EOF
{"traceEvents":[
{"ph":"X","tid":1,"ts":1,"dur":1,"args":{"yield":"write fd=1","site":"$work/prog+0x$off","seq":0}},
{"ph":"X","tid":1,"ts":3,"dur":1,"args":{"yield":"write fd=1","site":"log_line+0x0 ($work/prog+0x$off)","seq":1}},
{"ph":"X","tid":1,"ts":5,"dur":1,"args":{"yield":"read fd=0","site":"log_line+0x0 ($work/prog)","seq":2}},
{"ph":"X","tid":1,"ts":7,"dur":1,"args":{"yield":"yield","site":"$work/prog+0xfffff0","seq":3}}
]}
EOF
        g trace summary sym.json
        expect_success "summary with symbols"
        # Both spellings of the site resolve to the same place and share one row.
        expect_line "addr2line: module+0xOFF and function (module+0xOFF) resolved" \
            '^ +2 +50\.0% +write fd=1 +log_line \(prog\.c:[23]\)$'
        expect_line "addr2line: function+0xOFF (module) kept as is" \
            "^ +1 +25\\.0% +read fd=0 +log_line\\+0x0 \\($work/prog\\)\$"
        expect_line "addr2line: ?? kept raw" "^ +1 +25\\.0% +yield +$work/prog\\+0xfffff0\$"
        PATH=/nonexistent g trace summary sym.json
        expect_success "summary without addr2line"
        expect_line "no addr2line: raw sites" "^ +1 +25\\.0% +write fd=1 +$work/prog\\+0x$off\$"
        g trace svg sym.json
        svg_check "svg with symbols is XML" "$work/out"
        expect_line "svg: tooltip shows the source line" '^tooltip-line source: log_line \(prog\.c:[23]\)$'
    else
        echo "note: cc cannot build a test program; addr2line checks skipped"
    fi
else
    echo "note: cc, nm or addr2line missing; addr2line checks skipped"
fi

# --- errors ------------------------------------------------------------------------------
g trace summary "$work/none.json"
expect_error "missing file" 1 "greenring: $work/none.json: No such file or directory"
g trace svg "$work/none.json"
expect_error "svg: missing file" 1 "No such file or directory"
g trace summary "$work"
expect_error "a directory" 1 "Is a directory"
g trace summary "$here/malformed.json"
expect_error "malformed.json" 1 "malformed.json: malformed JSON at byte 130 (line 2, column 114):"
g trace svg "$here/malformed.json"
expect_error "svg: malformed.json" 1 "malformed JSON at byte 130"
: >empty.json
g trace summary empty.json
expect_error "empty file" 1 "malformed JSON at byte 0"
for doc in '{"foo":1}' '[1,2]' '{"traceEvents":{}}' '"traceEvents"'; do
    printf '%s' "$doc" >nottrace.json
    g trace summary nottrace.json
    expect_error "not a trace: $doc" 1 "not a greenring trace"
done
printf '%s' '{"traceEvents":[{"ph":"M","tid":0,"name":"thread_name","args":{"name":"main"}},
  {"ph":"X","tid":1,"dur":2}]}' >nots.json
g trace summary nots.json
expect_error "X event without ts" 1 'event 1 (byte 82): "ts" is missing'
printf '%s' '{"traceEvents":[{"ph":"X","tid":"one","ts":1,"dur":2}]}' >badtid.json
g trace svg badtid.json
expect_error "tid not an integer" 1 '"tid" is not an integer'
printf '%s' '{"traceEvents":[{"ph":"X","tid":1,"ts":1,"dur":-2}]}' >negdur.json
g trace summary negdur.json
expect_error "negative dur" 1 'negative "dur"'
printf '%s' '{"traceEvents":[7]}' >notobj.json
g trace summary notobj.json
expect_error "event not an object" 1 "event 0 (byte 16): not an object"
g trace frob "$here/sample.json"
expect_error "unknown tool" 2 "accepted: summary, svg"
g trace
expect_error "no tool" 2 "accepted: summary, svg"
g trace summary
expect_error "no file" 2
g trace svg "$here/sample.json" extra
expect_error "extra argument" 2

# --- the JSON reader: exactly standard JSON ---------------------------------------------
# Each value is placed in a minimal trace as {"traceEvents":[],"x":VALUE}.
wrap() { printf '{"traceEvents":[],"x":%s}' "$1" >doc.json; }
valid=('0' '-0' '-0.0e+00' '1E5' '1e-400' '123456789012345678901234567890' '"\u00e9\ud83d\ude00"'
       '"\/\b\f\n\r\t\"\\"' '[]' '{}' '[[[]]]' '{"a":{"b":[1,{"c":null}]}}' 'true' 'false'
       'null' $' \t\n\r 1 \r\n' '"é"' '{"a":1,"a":2}' '""' '"\u0000"' $'"\xf4\x8f\xbf\xbf"')
for v in "${valid[@]}"; do
    wrap "$v"
    g trace summary doc.json
    if [[ $rc -eq 0 ]]; then ok; else bad "valid JSON refused: $v"; fi
done
deep=$(printf '[%.0s' {1..200})$(printf ']%.0s' {1..200})
wrap "$deep"
g trace summary doc.json
if [[ $rc -eq 0 ]]; then ok; else bad "valid JSON refused: 200 nested arrays"; fi

invalid=('01' '1.' '.5' '-' '+1' '1e' '1e+' 'NaN' 'Infinity' '-Infinity' "'a'" '"a' '"\x"'
         '"\u12"' '"\u12G4"' '"\ud800"' '"\udc00"' '"\ud800\u0041"' $'"a\tb"' $'"a\nb"' '[1,]'
         '[,1]' '{"a":1,}' '{a:1}' '{"a" 1}' '{"a":1 "b":2}' '[1 2]' '/* c */1' '1 // c' 'tru'
         'nul' 'True' '1e999' '-1e999' $'"\xff"' $'"\xc0\xaf"' $'"\xed\xa0\x80"' $'"\xe2\x82"'
         $'"\xf5\x80\x80\x80"' '0x10' '' '[' '{"a":')
for v in "${invalid[@]}"; do
    wrap "$v"
    g trace summary doc.json
    expect_error "invalid JSON refused: $(printf '%q' "$v")" 1 "malformed JSON at byte"
done
printf '{"traceEvents":[]} x' >doc.json
g trace summary doc.json
expect_error "text after the value" 1 "malformed JSON at byte 19"
printf '\xef\xbb\xbf{"traceEvents":[]}' >doc.json
g trace summary doc.json
expect_error "byte order mark" 1 "byte order mark"
deep=$(printf '[%.0s' {1..600})$(printf ']%.0s' {1..600})
wrap "$deep"
g trace summary doc.json
expect_error "nesting too deep" 1 "nesting deeper than"
# Offsets point at the fault: {"traceEvents":[],"x": is 22 bytes.
wrap '01'
g trace summary doc.json
expect_error "offset of a leading zero" 1 "byte 23 (line 1, column 24): leading zero"
wrap '"ab\q"'
g trace summary doc.json
expect_error "offset of a bad escape" 1 "byte 25 (line 1, column 26): invalid escape '\\q'"
wrap '"\ud800x"'
g trace summary doc.json
expect_error "offset of a lone surrogate" 1 "byte 23 (line 1, column 24): unpaired high surrogate"
wrap '[1,]'
g trace summary doc.json
expect_error "offset of a trailing comma" 1 "byte 25 (line 1, column 26): expected a value, found ']'"
wrap $'"\xc3\xa9\xff"'
g trace summary doc.json
expect_error "offset of invalid UTF-8" 1 "byte 25 (line 1, column 25): invalid UTF-8"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
