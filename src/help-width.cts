/** yargs wraps help at the terminal's width, at most this; help.txt is rendered at it. */
export const HELP_WIDTH = 100;
