# A small notes site: Markdown files in notes/, rendered to HTML by the Python tool `md2html`
# (found on PATH), which the app runs once per request.
require "open3"
require "rack"

class NotesApp
  HTML = { "content-type" => "text/html; charset=utf-8" }.freeze
  TEXT = { "content-type" => "text/plain; charset=utf-8" }.freeze

  def initialize(dir, renderer: ENV.fetch("MD2HTML", "md2html"))
    @dir = dir
    @renderer = renderer
  end

  def call(env)
    request = Rack::Request.new(env)
    case [request.request_method, request.path_info]
    in ["GET", "/health"] then [200, TEXT, ["ok\n"]]
    in ["GET", "/"] then index
    in ["GET", %r{\A/notes/([a-z0-9-]+)\z}] then note(Regexp.last_match(1))
    in ["POST", "/render"] then render(request.body.read)
    else [404, TEXT, ["not found\n"]]
    end
  end

  private

  def notes
    Dir[File.join(@dir, "*.md")].sort.to_h do |path|
      title = File.foreach(path).first.to_s.sub(/\A#+\s*/, "").strip
      [File.basename(path, ".md"), title]
    end
  end

  def index
    list = notes.map { |name, title| "- [#{title}](/notes/#{name})" }
    md2html("# Notes\n\n#{list.join("\n")}\n", "--title", "Notes")
  end

  def note(name)
    title = notes[name] or return [404, TEXT, ["no note #{name}\n"]]
    md2html(File.read(File.join(@dir, "#{name}.md")), "--title", title, "--toc")
  end

  def render(markdown)
    md2html(markdown)
  end

  # Runs the tool with the Markdown on stdin; its stdout is the answer.
  def md2html(markdown, *args)
    out, err, status = Open3.capture3(@renderer, *args, stdin_data: markdown)
    return [200, HTML, [out]] if status.success?

    [502, TEXT, ["#{@renderer} failed (#{status}): #{err}"]]
  rescue SystemCallError => e
    [502, TEXT, ["cannot run #{@renderer}: #{e.message}\n"]]
  end
end
