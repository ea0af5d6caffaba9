#!/bin/sh
# this gate greps for /Users/ronnyworks/ronny-ops itself
