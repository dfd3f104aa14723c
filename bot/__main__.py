"""Run the bot: `python -m bot` (same as `plantbot run`)."""

import sys

from bot.cli import main

sys.exit(main())
