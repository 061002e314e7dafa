require_relative "app"

run NotesApp.new(File.join(__dir__, "notes"))
