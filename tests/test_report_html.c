/* test_report_html.c - the HTML report and its sequence diagrams on the
 * report fixture: the markup the browser test and people rely on (a
 * <svg class="sequence"> per case, a .segment per segment drawn with its
 * tcpdump line as <title>, a .state per transition), dropped segments left
 * out and injected ones marked, text escaped, and two runs side by side
 * with compare's differences highlighted. */
#include "report_fixture.h"

static char *html_of(tc_cmp_run **runs, size_t n) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  cr_assert_eq(tc__report_html(m, runs, n), 0);
  fclose(m);
  return buf;
}

TestSuite(report_html);

Test(report_html, one_diagram_per_case_one_arrow_per_segment_one_label_per_transition) {
  tc_cmp_run *run = rf_load("report_run.json");
  char *html = html_of(&run, 1);
  cr_assert_eq(rf_count(html, "<svg class=\"sequence\""), RF_CASES);
  cr_assert_eq(rf_count(html, "<g class=\"segment"), RF_SEGMENTS);
  cr_assert_eq(rf_count(html, "<g class=\"state"), RF_TRANSITIONS);
  cr_assert_eq(rf_count(html, "<section class=\"case\""), RF_CASES);
  cr_assert_eq(rf_count(html, "<a href=\"#case-"), RF_CASES);
  cr_assert_eq(rf_count(html, "<script"), 0);
  cr_assert_eq(rf_count(html, "http://") + rf_count(html, "https://"),
               RF_CASES); /* the SVG xmlns only */
  free(html);
  tc_cmp_run_free(run);
}

Test(report_html, segments_titled_with_their_tcpdump_line) {
  tc_cmp_run *run = rf_load("report_run.json");
  char *html = html_of(&run, 1);
  /* server-close-delayed: the client's FIN, then the lone delayed ACK. */
  cr_assert(strstr(html, "<title>IP 127.0.0.1.") != NULL);
  cr_assert(strstr(html, ": Flags [F.], seq 22, ack 1, length 0</title>") != NULL);
  cr_assert(strstr(html, ">F. seq 22 ack 1</text>") != NULL);
  cr_assert(strstr(html, ">P. seq 1:22 ack 1 len 21</text>") != NULL);
  /* client-linger-reset: its RST in red with the kernel's reason, twice (v4, v6) */
  cr_assert_eq(rf_count(html, "<g class=\"segment rst\"><title>"), 2);
  cr_assert_eq(rf_count(html, "reset reason: TCP_STATE</title>"), 2);
  cr_assert_eq(rf_count(html, "\xc2\xb7 TCP_STATE</text>"), 2);
  free(html);
  tc_cmp_run_free(run);
}

Test(report_html, states_steps_and_checkpoints_on_their_lifelines) {
  tc_cmp_run *run = rf_load("report_run.json");
  char *html = html_of(&run, 1);
  cr_assert(strstr(html, ">TIME_WAIT 60 s</text>") != NULL);
  cr_assert(strstr(html, ">CLOSE_WAIT</text>") != NULL);
  cr_assert(strstr(html, ">SO_LINGER{1,0} close()</text>") != NULL);
  cr_assert(strstr(html, ">recv() until EOF, then close()</text>") != NULL);
  cr_assert_eq(rf_count(html, "<g class=\"check fail\">"), 1);
  cr_assert_eq(rf_count(html, "<g class=\"check skip\">"), 2);
  cr_assert(strstr(html, "<g class=\"gap\">") != NULL);
  free(html);
  tc_cmp_run_free(run);
}

Test(report_html, injected_segments_marked_dropped_ones_left_out) {
  tc_cmp_run *run = rf_load("report_run.json");
  char *html = html_of(&run, 1);
  cr_assert_eq(rf_count(html, "<g class=\"segment rst injected\">"), 1);
  cr_assert_eq(rf_count(html, ">injected R seq 23</text>"), 1);
  free(html);
  tc_cmp_run_free(run);
}

Test(report_html, names_and_observed_text_escaped) {
  tc_cmp_run *run = rf_load("report_run.json");
  char *html = html_of(&run, 1);
  cr_assert_eq(rf_count(html, "odd<&\"name"), 0);
  cr_assert_eq(rf_count(html, "gone <&\" seen"), 0);
  cr_assert_geq(rf_count(html, "odd&lt;&amp;&quot;name"),
                4); /* link, section id, heading, diagram */
  cr_assert_geq(rf_count(html, "gone &lt;&amp;&quot; seen"), 2);
  free(html);
  tc_cmp_run_free(run);
}

Test(report_html, xml_text_escapes_and_drops_control_characters) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  tc__xml_text(m, "a<b>&\"c'\x01\td\n");
  fclose(m);
  cr_assert_str_eq(buf, "a&lt;b&gt;&amp;&quot;c&#39;\td\n");
  free(buf);
}

/* compare_wire.json lost the server's lone ACK: the same cases side by
 * side, the wire row highlighted and the teardown arrows marked. */
Test(report_html, two_runs_side_by_side_with_differences) {
  tc_cmp_run *runs[2] = {rf_load("compare_a.json"), rf_load("compare_wire.json")};
  char *html = html_of(runs, 2);
  cr_assert_eq(rf_count(html, "<svg class=\"sequence\""), 4);
  cr_assert_eq(rf_count(html, "<div class=\"runs\">"), 2);
  cr_assert_eq(rf_count(html, "<tr class=\"differs\"><td class=\"mono\">wire</td>"), 1);
  cr_assert(strstr(html, "<p>1 difference in behaviour") != NULL);
  cr_assert_eq(rf_count(html, "<g class=\"segment diff\">"), 4 + 3); /* teardowns of both runs */
  free(html);
  tc_cmp_run_free(runs[0]);
  tc_cmp_run_free(runs[1]);
}
