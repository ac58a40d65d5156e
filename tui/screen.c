/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <langinfo.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <curses.h>
#include <term.h>

#include "keys.h"
#include "macro.h"
#include "screen.h"

#if defined(NCURSES_WIDECHAR) && NCURSES_WIDECHAR
#define HAVE_WIDE 1
#else
#define HAVE_WIDE 0
#endif

/* Esc alone must not wait a second for a possible escape sequence. */
#define ESCAPE_DELAY_MS 25

static SCREEN *screen;
static bool active, suspended, unicode;
static attr_t role_attr[_ROLE_MAX];
static short role_pair[_ROLE_MAX];

/* For the crash handler: the terminal modes before curses took over, and the byte sequence that
 * leaves the alternate screen and shows the cursor again, computed up front. */
static struct termios saved_termios;
static bool have_saved_termios;
static char reset_seq[256];
static size_t reset_len;

/* The previous frame, so that unchanged lines are not handed to curses again. */
static Cell *shown;
static int shown_w, shown_h;

typedef struct RoleStyle {
        short fg, bg;    /* -1: the terminal's default */
        attr_t color;    /* with colours */
        attr_t mono;     /* without */
} RoleStyle;

/* htop's palette, more or less: green header, cyan selection, coloured states and meters. */
static const RoleStyle styles[_ROLE_MAX] = {
        [ROLE_NORMAL] = {-1, -1, A_NORMAL, A_NORMAL},
        [ROLE_DIM] = {-1, -1, A_DIM, A_DIM},
        [ROLE_TITLE] = {COLOR_CYAN, -1, A_BOLD, A_BOLD},
        [ROLE_LABEL] = {COLOR_CYAN, -1, A_NORMAL, A_BOLD},
        [ROLE_VALUE] = {-1, -1, A_BOLD, A_NORMAL},
        [ROLE_HEADER] = {COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_REVERSE},
        [ROLE_HEADER_SORT] = {COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD | A_UNDERLINE},
        [ROLE_SELECTED] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
        [ROLE_STATE_RUNNING] = {COLOR_GREEN, -1, A_BOLD, A_BOLD},
        [ROLE_STATE_STOPPED] = {-1, -1, A_DIM, A_DIM},
        [ROLE_STATE_BUSY] = {COLOR_YELLOW, -1, A_BOLD, A_UNDERLINE},
        [ROLE_STATE_FROZEN] = {COLOR_BLUE, -1, A_BOLD, A_UNDERLINE},
        [ROLE_STATE_BAD] = {COLOR_RED, -1, A_BOLD, A_BOLD | A_REVERSE},
        [ROLE_BAR_LOW] = {COLOR_GREEN, -1, A_NORMAL, A_NORMAL},
        [ROLE_BAR_MID] = {COLOR_YELLOW, -1, A_NORMAL, A_NORMAL},
        [ROLE_BAR_HIGH] = {COLOR_RED, -1, A_BOLD, A_BOLD},
        [ROLE_KEY] = {-1, -1, A_BOLD, A_BOLD},
        [ROLE_KEY_LABEL] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
        [ROLE_STATUS] = {-1, -1, A_NORMAL, A_NORMAL},
        [ROLE_ERROR] = {COLOR_RED, -1, A_BOLD, A_BOLD},
        [ROLE_PROMPT] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
        [ROLE_EVENT] = {-1, -1, A_NORMAL, A_NORMAL},
};

static void setup_styles(bool color)
{
        color = color && has_colors() && start_color() == OK;
        if (color)
                (void)use_default_colors();
        for (int r = 0; r < _ROLE_MAX; r++) {
                role_pair[r] = 0;
                if (!color) {
                        role_attr[r] = styles[r].mono;
                        continue;
                }
                role_attr[r] = styles[r].color;
                if (styles[r].fg >= 0 || styles[r].bg >= 0) {
                        short pair = (short)(r + 1);
                        if (pair < COLOR_PAIRS && init_pair(pair, styles[r].fg, styles[r].bg) == OK)
                                role_pair[r] = pair;
                }
        }
}

static void add_cap(const char *cap)
{
        const char *s = tigetstr(cap);
        if (!s || s == (char *)-1)
                return;
        size_t l = strlen(s);
        if (reset_len + l < sizeof(reset_seq)) {
                memcpy(reset_seq + reset_len, s, l);
                reset_len += l;
        }
}

int screen_init(bool color, const char **ret_error)
{
        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
                *ret_error = "standard input and output must be a terminal (or use --batch)";
                return -ENOTTY;
        }
        if (tcgetattr(STDIN_FILENO, &saved_termios) == 0)
                have_saved_termios = true;

        const char *cs = nl_langinfo(CODESET);
        unicode = HAVE_WIDE && cs && (streq(cs, "UTF-8") || streq(cs, "utf8"));

        /* newterm, unlike initscr, returns an error instead of exiting. */
        screen = newterm(NULL, stdout, stdin);
        if (!screen) {
                *ret_error = "cannot use this terminal: is TERM set to a known type?";
                return -ENOTTY;
        }
        set_term(screen);
        active = true;
        cbreak();
        noecho();
        nonl();
        intrflush(stdscr, FALSE);
        keypad(stdscr, TRUE);
        nodelay(stdscr, TRUE);
        set_escdelay(ESCAPE_DELAY_MS);
        curs_set(0);
        setup_styles(color);

        add_cap("sgr0");
        add_cap("cnorm");
        add_cap("rmkx");
        add_cap("rmcup");
        return 0;
}

void screen_done(void)
{
        if (!active)
                return;
        if (!suspended) {
                curs_set(1);
                endwin();
        }
        delscreen(screen);
        screen = NULL;
        active = suspended = false;
        /* A session child killed while it had the terminal raw leaves it so: the modes from
         * before we started are the ones to go back to. */
        if (have_saved_termios)
                (void)tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
        shown = mfree(shown);
        fflush(stdout);
}

bool screen_unicode(void)
{
        return unicode;
}

void screen_size(int *ret_rows, int *ret_cols)
{
        *ret_rows = active ? LINES : 24;
        *ret_cols = active ? COLS : 80;
}

void screen_resize(void)
{
        struct winsize ws;
        if (!active || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 ||
            ws.ws_col == 0)
                return;
        resizeterm(ws.ws_row, ws.ws_col);
        shown = mfree(shown);
        clearok(curscr, TRUE);
}

static void blit_line(const Frame *f, int y)
{
#if HAVE_WIDE
        for (int x = 0; x < f->width; x++) {
                const Cell *c = &f->cells[(size_t)y * (size_t)f->width + (size_t)x];
                wchar_t wc[2] = {(wchar_t)c->ch, 0};
                /* Frames hold printable characters only; this keeps curses from ever being
                 * handed a control character even if that were broken. */
                if (c->ch < 0x20 || (c->ch >= 0x7f && c->ch < 0xa0) || (!unicode && c->ch > 0x7e))
                        wc[0] = '?';
                cchar_t cc;
                setcchar(&cc, wc, role_attr[c->role], role_pair[c->role], NULL);
                mvadd_wch(y, x, &cc);
        }
#else
        for (int x = 0; x < f->width; x++) {
                const Cell *c = &f->cells[(size_t)y * (size_t)f->width + (size_t)x];
                chtype ch = c->ch >= 0x20 && c->ch < 0x7f ? (chtype)c->ch : '?';
                mvaddch(y, x, ch | role_attr[c->role] | COLOR_PAIR(role_pair[c->role]));
        }
#endif
}

void screen_blit(const Frame *f, int cursor_y, int cursor_x)
{
        if (!active || suspended)
                return;
        int h = MIN(f->height, LINES);
        if (!shown || shown_w != f->width || shown_h != f->height) {
                free(shown);
                shown = xcalloc((size_t)f->width * (size_t)f->height, sizeof(Cell));
                shown_w = f->width;
                shown_h = f->height;
                /* Nothing matches a zeroed cell (ch 0 is never drawn): every line goes out. */
        }
        for (int y = 0; y < h; y++) {
                size_t off = (size_t)y * (size_t)f->width;
                if (memcmp(shown + off, f->cells + off, (size_t)f->width * sizeof(Cell)) == 0)
                        continue;
                blit_line(f, y);
                memcpy(shown + off, f->cells + off, (size_t)f->width * sizeof(Cell));
        }
        if (cursor_y >= 0) {
                move(cursor_y, cursor_x);
                curs_set(1);
        } else
                curs_set(0);
        refresh();
}

int screen_read_key(void)
{
        if (!active || suspended)
                return TK_NONE;
        int c = getch();
        switch (c) {
        case ERR:
                return TK_NONE;
        case KEY_UP:
                return TK_UP;
        case KEY_DOWN:
                return TK_DOWN;
        case KEY_LEFT:
                return TK_LEFT;
        case KEY_RIGHT:
                return TK_RIGHT;
        case KEY_PPAGE:
                return TK_PPAGE;
        case KEY_NPAGE:
                return TK_NPAGE;
        case KEY_HOME:
                return TK_HOME;
        case KEY_END:
                return TK_END;
        case KEY_DC:
                return TK_DELETE;
        case KEY_BACKSPACE:
                return TK_BACKSPACE;
        case KEY_ENTER:
        case '\r':
                return TK_ENTER;
        case KEY_RESIZE:
                return TK_RESIZE;
        }
        if (c >= KEY_F(1) && c <= KEY_F(12))
                return TK_F(c - KEY_F0);
        if (c >= 0 && c <= 0xff)
                return c;
        return TK_NONE; /* a key we have no use for */
}

void screen_suspend(void)
{
        if (!active || suspended)
                return;
        def_prog_mode();
        curs_set(1);
        endwin();
        fflush(stdout);
        suspended = true;
}

void screen_resume(void)
{
        if (!active || !suspended)
                return;
        reset_prog_mode();
        suspended = false;
        /* The session drew over everything: send the whole screen again. */
        shown = mfree(shown);
        clearok(curscr, TRUE);
        curs_set(0);
}

void screen_emergency_restore(void)
{
        if (!active)
                return;
        if (reset_len)
                (void)!write(STDOUT_FILENO, reset_seq, reset_len);
        if (have_saved_termios)
                (void)tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}
